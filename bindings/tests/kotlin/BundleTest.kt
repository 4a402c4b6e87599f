// Phone to phone with no network through the generated bindings (ADR 0014): a mediator and her
// team leader exchange files offline, edit the same case at once, then one syncs and then the
// other; both converge and the server holds the case once.
package danvan.tests

import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import vn.danvan.core.*

class BundleTest {
    @Test
    fun twoPhonesExchangeFilesOfflineAndTheServerGetsTheCaseOnce() {
        Phone("MEDIATOR", "Lan (trao đổi tệp)").use { lan ->
            Phone("TEAM_LEADER", "Hoa (trao đổi tệp)").use { hoa ->
                // Online once: the server certifies each phone.
                assertTrue(!lan.store.canExchange())
                lan.sync(); hoa.sync()
                assertTrue(lan.store.canExchange() && hoa.store.canExchange())

                // No signal: Lan records a case and sends Hoa a file.
                val rec = lan.store.createMediation("11533-T01", "2025-09-02", caseForm("Trao đổi không cần mạng"))
                val first = lan.store.exportBundle(hoa.store.hello())
                val got = hoa.store.importBundle(first)
                assertEquals(1u, got.newRecords)
                assertEquals(lan.deviceId, got.sender)
                assertEquals(rec.mediation, hoa.store.get(rec.id).mediation)
                assertEquals(SyncState.LOCAL_ONLY, hoa.store.get(rec.id).sync.state)

                // Both edit it at once, offline.
                hoa.store.updateMediation(rec.id, hoa.store.get(rec.id).mediation!!.copy(logbookNo = 12u))
                lan.store.updateMediation(rec.id, lan.store.get(rec.id).mediation!!.copy(
                    summary = "Trao đổi không cần mạng (đã gặp hai bên)"))
                val back = hoa.store.exportBundle(lan.store.hello())
                assertTrue("${back.size} B for one change", back.size < first.size)
                assertEquals(1u, lan.store.importBundle(back).updatedRecords)
                val merged = lan.store.get(rec.id).mediation!!
                assertEquals(12u, merged.logbookNo)
                assertEquals("Trao đổi không cần mạng (đã gặp hai bên)", merged.summary)

                // A file damaged on the way changes nothing.
                val damaged = back.copyOf().also { it[it.size / 2] = (it[it.size / 2].toInt() xor 0x20).toByte() }
                try {
                    hoa.store.importBundle(damaged)
                    fail("a damaged file was taken in")
                } catch (e: DanvanException.InvalidInput) {
                    assertTrue(e.issues.single().code.startsWith("bundle_"))
                }

                // Back online: Lan first (her push carries Hoa's change), then Hoa.
                val a = lan.sync()
                assertEquals(1uL, a.accepted)
                assertEquals(0uL, a.rejected)
                val b = hoa.sync()
                assertEquals(0uL, b.rejected)
                lan.sync()
                assertEquals(lan.store.get(rec.id).mediation, hoa.store.get(rec.id).mediation)
                assertEquals(SyncState.ACCEPTED, hoa.store.get(rec.id).sync.state)
                // A third phone of the team receives the case once, with both edits.
                Phone("TEAM_LEADER", "Kiểm tra").use { third ->
                    third.sync()
                    val rows = third.store.list(ListFilter()).filter { it.id == rec.id }
                    assertEquals(1, rows.size)
                    assertEquals(12u, third.store.get(rec.id).mediation!!.logbookNo)
                }
            }
        }
    }
}
