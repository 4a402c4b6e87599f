// Correcting a wrongly closed case (ADR 0009) through the generated bindings against the live
// test server (scripts/kotlin-tests.sh): the reason is required on the phone, a mediator's
// correction is refused by the server, her team leader's is accepted and reaches her phone.
package danvan.tests

import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import vn.danvan.core.*

class CorrectionTest {
    @Test
    fun aMediatorMayNotCorrectAWrongClosingHerTeamLeaderMay() {
        Phone("MEDIATOR", "Lan").use { lan ->
            Phone("TEAM_LEADER", "Hùng").use { hung ->
                val rec = lan.store.createMediation("11533-T01", "2025-09-02", caseForm("Đóng nhầm hồ sơ"))
                val stopped = lan.store.transition(rec.id, "stopped", "2025-09-05", "Các bên rút yêu cầu")
                assertEquals(0uL, lan.sync().rejected)
                val closing = stopped.history.last()
                assertEquals("stopped", closing.to.code)
                assertTrue(closing.correctable)
                assertFalse(stopped.history.first().correctable)

                // A correction needs its reason, on the phone already.
                try {
                    lan.store.correct(rec.id, closing.id, "   ")
                    fail("a correction without a reason was written")
                } catch (e: DanvanException.InvalidInput) {
                    assertEquals("correction_reason_required", e.issues.single().code)
                    assertTrue(e.issues.all { it.vi.isNotEmpty() && it.en.isNotEmpty() })
                }
                // Only the latest closing may be corrected: the creation entry may not.
                try {
                    lan.store.correct(rec.id, stopped.history.first().id, "nhầm")
                    fail("the creation entry was corrected")
                } catch (e: DanvanException.InvalidInput) {
                    assertEquals("not_closing", e.issues.single().code)
                }

                // Lan's phone writes her correction; the server refuses it (her role may not).
                val mine = lan.store.correct(rec.id, closing.id, "Bấm nhầm")
                assertEquals("received", mine.status.code)
                assertEquals(1uL, lan.sync().rejected)
                val why = lan.store.get(rec.id).sync.rejection!!
                assertEquals("invalid", why.code)
                assertTrue(why.detail, why.detail.contains("correction_not_allowed"))

                // Hùng, the team leader, receives the case as the server has it and corrects it.
                assertEquals(0uL, hung.sync().rejected)
                val his = hung.store.get(rec.id)
                assertEquals("stopped", his.status.code)
                val fixed = hung.store.correct(rec.id, his.history.last().id, "Các bên chưa rút yêu cầu")
                assertEquals("received", fixed.status.code)
                assertEquals(null, fixed.mediation!!.closedOn)
                val correction = fixed.history.last()
                assertEquals(closing.id, correction.corrects)
                assertEquals("Các bên chưa rút yêu cầu", correction.note)
                val corrected = fixed.history.single { it.id == closing.id }
                assertTrue(corrected.corrected)
                assertFalse(corrected.correctable)
                assertEquals(0uL, hung.sync().rejected)
                assertEquals(SyncState.ACCEPTED, hung.store.get(rec.id).sync.state)
                // Correcting it twice is refused.
                try {
                    hung.store.correct(rec.id, closing.id, "lần nữa")
                    fail("a closing was corrected twice")
                } catch (e: DanvanException.InvalidInput) {
                    assertEquals("already_corrected", e.issues.single().code)
                }
                // The case goes on from the status before the wrong closing.
                assertTrue(fixed.nextStatuses.any { it.code == "mediating" })
            }
        }
    }
}
