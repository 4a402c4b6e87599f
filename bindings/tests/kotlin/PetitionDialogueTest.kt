// Citizens' petitions and leaders' dialogues through the generated bindings against the live test
// server (scripts/kotlin-tests.sh). A citizen-reception officer of Phường Hòa Bình (11533)
// records a denunciation, accepts it, extends and resolves it, syncing after each step; follows a
// dialogue's commitment to done; sees the petitions past their acceptance deadline. The
// petitions never reach a mediator's or an inspector's phone of the same commune, nor a reception
// officer of another commune; a second reception officer of the commune receives them.
package danvan.tests

import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import vn.danvan.core.*

const val COMMUNE = "11533"

/** A petition of Phường Hòa Bình as the reception officer's form fills it. */
fun petitionForm(
    type: String = "complaint",
    summary: String = "Khiếu nại đơn giá bồi thường đất nông nghiệp thu hồi làm đường",
    receivedOn: String = "2026-09-01",
) = Petition(
    bookNo = "15/2026",
    receivedOn = receivedOn,
    channel = "in_person",
    petitionType = type,
    subject = if (type == "denunciation") "officials_conduct" else "compensation",
    summary = summary,
    petitioners = listOf(
        Petitioner(name = "Nguyễn Văn Hùng", address = "Tổ dân phố 1, phường Hòa Bình",
            idNumber = "031068001234", contact = "0912 345 678"),
    ),
    groupSize = null,
    competentBody = "commune_chairman",
    remoteArea = false,
    complexity = if (type == "denunciation") "complex" else "normal",
)

class PetitionDialogueTest {
    private fun assertAccepted(p: SyncProgress, what: String) {
        assertEquals("$what: rejected", 0uL, p.rejected)
        assertTrue("$what: nothing accepted", p.accepted >= 1uL)
    }

    @Test
    fun aReceptionOfficerHandlesADenunciationAndItStaysWithinTheCommunesHandlers() {
        Phone("RECEPTION_OFFICER", "Thu").use { thu ->
            // Received and synced.
            val rec = thu.store.createPetition(COMMUNE, petitionForm("denunciation",
                "Tố cáo cán bộ địa chính phường nhận tiền khi làm thủ tục"))
            assertEquals("received", rec.status.code)
            assertEquals("Đã tiếp nhận", rec.status.vi)
            val id = rec.id
            assertNotNull(rec.petition)
            assertAccepted(thu.sync(), "received")
            assertEquals(SyncState.ACCEPTED, thu.store.get(id).sync.state)

            // Accepted (thụ lý) a week later: deadlines follow.
            thu.store.acceptPetition(id, "2026-09-08")
            var p = thu.store.getPetition(id)
            assertEquals("accepted", p.status)
            assertEquals("2026-09-08", p.acceptedOn)
            val before = thu.store.petitionDeadlines(id, "2026-09-08")
            assertNotNull(before.resolveBy)
            assertEquals(1u, before.extensionsAllowed)
            assertAccepted(thu.sync(), "accepted")

            // Extended once (a complex denunciation), then resolved.
            thu.store.addPetitionExtension(id, PetitionExtension(
                decidedOn = "2026-10-01", reason = "Phải xác minh tại nhiều nơi",
                documentNo = "21/QĐ-UBND"))
            val after = thu.store.petitionDeadlines(id, "2026-10-01")
            assertEquals(1u, after.extensions)
            assertTrue("${after.resolveBy} > ${before.resolveBy}", after.resolveBy!! > before.resolveBy!!)
            assertAccepted(thu.sync(), "extended")

            // A second extension is more than the law allows: refused on the phone, in both
            // languages, nothing written.
            try {
                thu.store.addPetitionExtension(id, PetitionExtension(
                    decidedOn = "2026-10-05", reason = "Thêm thời gian"))
                fail("a second extension was written")
            } catch (e: DanvanException.InvalidInput) {
                val issue = e.issues.single()
                assertEquals("too_many_extensions", issue.code)
                assertTrue(issue.vi, issue.vi.contains("gia hạn"))
                assertTrue(issue.en, issue.en.contains("extended"))
            }
            // An outcome that does not fit a denunciation: refused, still accepted.
            try {
                thu.store.resolvePetition(id, PetitionResolution(
                    decidedOn = "2026-11-02", outcome = "right"))
                fail("a complaint's outcome resolved a denunciation")
            } catch (e: DanvanException.InvalidInput) {
                assertEquals("outcome_mismatch", e.issues.first().code)
                val msg = errorMessage(e, Language.VI)
                assertTrue(msg, msg.contains("loại đơn"))
            }
            assertEquals("accepted", thu.store.get(id).status.code)

            val resolved = thu.store.resolvePetition(id, PetitionResolution(
                decidedOn = "2026-11-02", documentNo = "35/KL-UBND", outcome = "partly_true",
                content = "Kiểm điểm, khiển trách cán bộ vi phạm"))
            assertEquals("resolved", resolved.status.code)
            p = resolved.petition!!
            assertEquals("2026-11-02", p.closedOn)
            assertEquals("partly_true", p.resolution!!.outcome)
            assertEquals(1, p.extensions.size)
            assertEquals(listOf("enforced"), resolved.nextStatuses.map { it.code })
            val progress = thu.sync()
            assertAccepted(progress, "resolved")
            val info = thu.store.get(id).sync
            assertEquals(SyncState.ACCEPTED, info.state)
            assertFalse(info.dirty)
            assertEquals(null, info.rejection)

            // Another reception officer of the commune receives it, resolved.
            Phone("RECEPTION_OFFICER", "Hà").use { ha ->
                ha.sync()
                val seen = ha.store.getPetition(id)
                assertEquals("resolved", seen.status)
                assertEquals("Nguyễn Văn Hùng", seen.petitioners.single().name)
            }
            // The denunciator's identity stays with the commune's petition handlers: a mediator
            // and an inspector of the same commune, and a reception officer of another commune,
            // never receive it.
            for ((role, label) in listOf(
                "MEDIATOR" to "Lan", "INSPECTOR" to "Bình", "OTHER_RECEPTION_OFFICER" to "Cường",
            )) {
                Phone(role, label).use { other ->
                    other.sync()
                    try {
                        other.store.get(id)
                        fail("the petition reached a $role's phone")
                    } catch (e: DanvanException.NotFound) {
                        // as it should
                    }
                    assertTrue(other.store.list(ListFilter(kind = RecordKind.PETITION)).isEmpty())
                }
            }
        }
    }

    @Test
    fun theOverdueListShowsAPetitionPastItsAcceptanceDeadline() {
        Phone("RECEPTION_OFFICER", "Mai").use { mai ->
            val old = mai.store.createPetition(COMMUNE, petitionForm(
                summary = "Khiếu nại việc cấp giấy chứng nhận quyền sử dụng đất",
                receivedOn = "2026-08-03"))
            val newer = mai.store.createPetition(COMMUNE, petitionForm(
                type = "reflection", summary = "Phản ánh rác thải ven đường đê",
                receivedOn = "2026-10-01"))
            val accepted = mai.store.createPetition(COMMUNE, petitionForm(
                summary = "Khiếu nại quyết định xử phạt", receivedOn = "2026-11-20"))
            mai.store.acceptPetition(accepted.id, "2026-11-23")
            assertAccepted(mai.sync(), "three petitions")

            val deadlines = mai.store.petitionDeadlines(old.id, "2026-11-30")
            // Only hers (the commune's other petitions reach her phone too).
            val mine = setOf(old.id, newer.id, accepted.id)
            val overdue = mai.store.overduePetitions("2026-11-30").filter { it.recordId in mine }
            assertEquals(listOf(old.id, newer.id), overdue.map { it.recordId })
            val first = overdue.first()
            assertEquals("petition_not_accepted", first.rule)
            assertEquals(deadlines.acceptBy, first.dueOn)
            assertTrue(first.daysLate > overdue[1].daysLate)
            assertEquals("Khiếu nại", first.petitionType.vi)
            assertEquals("Phản ánh", overdue[1].petitionType.vi)
            assertTrue(first.vi.isNotEmpty() && first.en.isNotEmpty())

            // Returned to the petitioner with guidance: off the list.
            mai.store.declinePetition(newer.id, "returned", "2026-11-30", "incomplete",
                "Hướng dẫn bổ sung ảnh hiện trường")
            assertEquals(listOf(old.id),
                mai.store.overduePetitions("2026-11-30").map { it.recordId }.filter { it in mine })
            assertAccepted(mai.sync(), "returned")
        }
    }

    @Test
    fun aDialogueCommitmentIsFollowedUpToDoneAndTheDialogueClosed() {
        Phone("RECEPTION_OFFICER", "Tuấn").use { tuan ->
            val rec = tuan.store.createDialogue(COMMUNE, Dialogue(
                dialogueType = "periodic", heldOn = "2026-09-15", place = "Hội trường UBND phường",
                chairRole = "party_secretary", chairName = "Phạm Văn Tuấn",
                topic = "Giải phóng mặt bằng đường trục và vệ sinh môi trường"))
            val id = rec.id
            assertEquals("planned", rec.status.code)
            assertAccepted(tuan.sync(), "planned")

            tuan.store.transition(id, "held", "2026-09-15", null)
            tuan.store.setDialogueParticipants(id, "citizens", 120u)
            tuan.store.setDialogueParticipants(id, "village_leaders", 15u)
            tuan.store.addDialogueIssue(id, DialogueIssue(
                content = "Tiến độ chi trả tiền bồi thường", subject = "compensation",
                answer = "on_the_spot", answerText = "Chi trả xong trước 30/9"))
            val held = tuan.store.addDialogueIssue(id, DialogueIssue(
                content = "Lắp đèn chiếu sáng đường đê", subject = "construction",
                answer = "commitment", commitment = DialogueCommitment(
                    responsible = "Phó Chủ tịch UBND phường", action = "Lắp 20 bóng đèn đường đê",
                    dueOn = "2026-10-15")))
            val d = held.dialogue!!
            assertEquals("held", d.status)
            assertEquals(135u, d.participants.sumOf { it.count })
            val issueId = d.issues.last().id!!
            assertAccepted(tuan.sync(), "held")

            val late = tuan.store.overdueCommitments("2026-10-20")
            assertEquals(1, late.size)
            assertEquals(issueId, late.single().issueId)
            assertEquals(5L, late.single().daysLate)
            // Not closed while the commitment is open.
            try {
                tuan.store.transition(id, "closed", "2026-10-20", null)
                fail("closed with a commitment open")
            } catch (e: DanvanException.InvalidInput) {
                assertEquals("open_commitments", e.issues.first().code)
            }

            tuan.store.addDialogueFollowUp(id, DialogueFollowUp(
                issueId = issueId, on = "2026-10-10", note = "Đã duyệt kinh phí", done = false))
            tuan.store.addDialogueFollowUp(id, DialogueFollowUp(
                issueId = issueId, on = "2026-10-25", note = "Đã lắp xong 20 bóng đèn", done = true))
            assertTrue(tuan.store.overdueCommitments("2026-10-25").isEmpty())
            val closed = tuan.store.transition(id, "closed", "2026-10-25", null)
            assertEquals("closed", closed.status.code)
            assertEquals("2026-10-25", closed.dialogue!!.closedOn)
            assertAccepted(tuan.sync(), "closed")
            assertEquals(SyncState.ACCEPTED, tuan.store.get(id).sync.state)

            // Labels for the screens.
            assertEquals("Cam kết giải quyết", label("dialogue.issue_answer", "commitment")!!.vi)
            assertEquals("Tố cáo", label("petition.type", "denunciation")!!.vi)
        }
    }
}
