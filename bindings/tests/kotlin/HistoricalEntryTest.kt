// A historical entry (ADR 0004 §4) through the generated bindings against the live test server
// (scripts/kotlin-tests.sh): a past case recorded under the old commune it happened in, before
// the 1 July 2025 reform. Old Phường Hoà Bình (11527) merged whole into the new Phường Hòa Bình,
// where the team leader's village lies: the server accepts her entry through the successor
// mapping; a plain mediator's entry is refused.
package danvan.tests

import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import vn.danvan.core.*

class HistoricalEntryTest {
    private fun pastCase(summary: String) = caseForm(summary).copy(
        village = "11527",
        commune = "11527",
        receivedOn = "2025-03-03",
        assignedOn = "2025-03-03",
    )

    @Test
    fun aTeamLeaderRecordsAPastCaseUnderTheOldCommuneAMediatorMayNot() {
        Phone("TEAM_LEADER", "Hùng").use { hung ->
            val rec = hung.store.createMediationHistorical(
                "11527", "2025-03-03", "2025-03-03", pastCase("Tranh chấp ranh giới (sổ cũ)"))
            assertEquals("11527", rec.unit)
            assertEquals("2025-03-03", rec.unitOn)
            assertEquals(0uL, hung.sync().rejected)
            assertEquals(SyncState.ACCEPTED, hung.store.get(rec.id).sync.state)
        }
        Phone("MEDIATOR", "Lan").use { lan ->
            val rec = lan.store.createMediationHistorical(
                "11527", "2025-03-03", "2025-03-03", pastCase("Tranh chấp lối đi (sổ cũ)"))
            assertEquals(1uL, lan.sync().rejected)
            val why = lan.store.get(rec.id).sync.rejection!!
            assertEquals("out_of_scope", why.code)
            // Refused without naming where records are kept (issue 11, item 8).
            assertTrue(why.detail, !why.detail.contains("11533"))
        }
        // A day in the future is refused on the phone already.
        Phone("TEAM_LEADER", "Minh").use { minh ->
            try {
                minh.store.createMediationHistorical(
                    "11527", "2099-01-01", "2025-03-03", pastCase("Ngày sai"))
                org.junit.Assert.fail("a historical entry dated in the future was written")
            } catch (e: DanvanException.InvalidInput) {
                assertEquals("unit_on_in_future", e.issues.single().code)
            }
        }
    }
}
