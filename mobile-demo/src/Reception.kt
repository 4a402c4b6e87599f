// The citizen-reception officer's part of the scripted run: petitions with their statutory
// deadlines, the overdue-petitions screen, a dialogue's commitment followed up to done.
package danvan.demo

import java.nio.file.Files
import java.nio.file.Path
import vn.danvan.core.*

private fun check(ok: Boolean, what: String) {
    if (!ok) throw StoryFailed(what)
}

/** A petition received at the commune, as the reception officer fills the form. */
fun newPetition(type: String, summary: String, receivedOn: String, name: String, complexity: String = "normal") =
    Petition(
        receivedOn = receivedOn,
        channel = "in_person",
        petitionType = type,
        subject = if (type == "denunciation") "officials_conduct" else "land",
        summary = summary,
        petitioners = listOf(Petitioner(name = name, address = "Tổ dân phố 1, phường Hòa Bình")),
        groupSize = null,
        complexity = complexity,
    )

/**
 * Chị Thu, citizen-reception officer (cán bộ tiếp công dân) of Phường Hòa Bình (11533): three
 * petitions, the overdue screen on 20 October 2026, a denunciation accepted and extended, a
 * dialogue's commitment done; everything synced.
 */
fun receptionDesk(ui: Ui, server: String, enrollmentCode: (String) -> String, root: Path) {
    ui.step("Chị Thu (cán bộ tiếp công dân phường) đăng ký điện thoại",
        "Thu (the ward's citizen-reception officer) enrolls her phone")
    Device(ui, server, enrollmentCode("RECEPTION_OFFICER"), "Điện thoại chị Thu",
        Files.createDirectory(root.resolve("thu"))).use { thu ->
        val e = thu.enrollment
        ui.line("Đã đăng ký: ${e.person} · ${e.role} · đơn vị ${e.unit}",
            "Enrolled: ${e.person} · ${e.role} · unit ${e.unit}")
        check(e.role == "reception_officer", "enrolled as a reception officer")
        val unit = e.unit

        ui.step("Chị Thu vào sổ ba đơn", "Thu enters three petitions in the book")
        ui.line("Loại đơn: " + codes("petition.type").joinToString(" · ") { it.vi },
            "Types: " + codes("petition.type").joinToString(" · ") { it.en })
        val complaint = thu.store.createPetition(unit, newPetition("complaint",
            "Khiếu nại việc thu hồi đất nông nghiệp không thông báo trước", "2026-09-01", "Trần Văn Hải"))
        val reflection = thu.store.createPetition(unit, newPetition("reflection",
            "Phản ánh rác thải ven đường đê", "2026-10-01", "Lê Thị Hoa"))
        val denunciation = thu.store.createPetition(unit, newPetition("denunciation",
            "Tố cáo cán bộ địa chính nhận tiền khi làm thủ tục", "2026-09-15", "Nguyễn Văn Bình", "complex"))
        ui.card(denunciation)

        ui.step("Thụ lý đơn tố cáo; vụ việc phức tạp nên gia hạn một lần",
            "The denunciation is accepted; a complex matter, so it is extended once")
        thu.store.acceptPetition(denunciation.id, "2026-09-18")
        val extended = thu.store.addPetitionExtension(denunciation.id, PetitionExtension(
            decidedOn = "2026-10-15", reason = "Phải xác minh tại nhiều nơi", documentNo = "21/QĐ-UBND"))
        ui.card(extended)
        val dl = thu.store.petitionDeadlines(denunciation.id, "2026-10-20")
        ui.deadlines(dl)
        check(dl.extensions == 1u && dl.resolveBy != null && dl.resolveBy!! > dl.resolveByBase!!,
            "the extension moves the resolution deadline")

        ui.step("Ngày 20/10: màn hình \"Đơn quá hạn\" của cán bộ tiếp công dân",
            "20 October: the reception officer's \"Overdue petitions\" screen")
        val late = thu.store.overduePetitions("2026-10-20")
        ui.overduePetitions(late)
        check(late.map { it.recordId } == listOf(complaint.id, reflection.id), "two petitions overdue, most late first")
        check(late.all { it.rule == "petition_not_accepted" }, "both past their acceptance deadline")

        ui.step("Đơn phản ánh được trả lại, hướng dẫn; đồng bộ", "The reflection is returned with guidance; sync")
        thu.store.declinePetition(reflection.id, "returned", "2026-10-20", "incomplete",
            "Hướng dẫn gửi tổ dân phố xử lý")
        check(thu.store.overduePetitions("2026-10-20").map { it.recordId } == listOf(complaint.id),
            "a returned petition is no longer overdue")
        val p = thu.sync()
        check(p.accepted == 3uL && p.rejected == 0uL, "the three petitions were accepted")

        ui.step("Đối thoại định kỳ của Bí thư: một cam kết, theo dõi đến khi xong",
            "The Party secretary's periodic dialogue: a commitment followed up to done")
        val d = thu.store.createDialogue(unit, Dialogue(
            dialogueType = "periodic", heldOn = "2026-09-25", place = "Hội trường UBND phường",
            chairRole = "party_secretary", chairName = "Phạm Văn Tuấn",
            topic = "Giải phóng mặt bằng và vệ sinh môi trường"))
        thu.store.transition(d.id, "held", "2026-09-25", null)
        thu.store.setDialogueParticipants(d.id, "citizens", 120u)
        val held = thu.store.addDialogueIssue(d.id, DialogueIssue(
            content = "Lắp đèn chiếu sáng đường đê", subject = "construction", answer = "commitment",
            commitment = DialogueCommitment(responsible = "Phó Chủ tịch UBND phường",
                action = "Lắp 20 bóng đèn đường đê", dueOn = "2026-10-15")))
        val issueId = held.dialogue!!.issues.single().id!!
        val open = thu.store.overdueCommitments("2026-10-20")
        for (c in open) {
            println("  ⏰ ${c.action} — ${c.responsible} (${ui.t("hạn", "due")} ${c.dueOn}, " +
                "${ui.t("trễ", "late by")} ${c.daysLate} ${ui.t("ngày", "day(s)")})")
        }
        check(open.singleOrNull()?.issueId == issueId, "the commitment is overdue")
        thu.store.addDialogueFollowUp(d.id, DialogueFollowUp(issueId = issueId, on = "2026-10-22",
            note = "Đã lắp xong", done = true))
        val closed = thu.store.transition(d.id, "closed", "2026-10-22", null)
        ui.card(closed)
        check(closed.status.code == "closed", "the dialogue is closed")
        val q = thu.sync()
        check(q.accepted == 1uL && q.rejected == 0uL, "the dialogue was accepted")
    }
}
