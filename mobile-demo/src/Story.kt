// The scripted run: a mediator's work on her phone, end to end against a live server, with a
// check after each step (a failed check exits non-zero, so the run is a test too).
package danvan.demo

import java.nio.file.Files
import java.nio.file.Path
import vn.danvan.core.*

class StoryFailed(message: String) : Exception(message)

private fun check(ok: Boolean, what: String) {
    if (!ok) throw StoryFailed(what)
}

/** One phone: an enrollment and its store. */
class Device(val ui: Ui, val server: String, code: String, label: String, dir: Path) : AutoCloseable {
    val enrollment = enroll(server, code, label)
    // The phone's store is encrypted; the demo keeps its key in a file beside it (StoreKey.kt),
    // a real app in the Android Keystore / iOS Keychain.
    val store = DanvanStore.openEncrypted(
        dir.resolve("danvan.sqlite3").toString(), enrollment.credentials.deviceId, storeKey(dir.toFile()))
    val id: String get() = enrollment.credentials.deviceId

    fun sync(): SyncProgress {
        val p = store.sync(server, enrollment.credentials, ui.progress())
        ui.synced(p)
        return p
    }

    override fun close() {
        store.closeStore()
        store.close()
    }
}

/** The case Lan records: two neighbours' shared path, as the logbook has it. */
fun newCase(village: String) = MediationCase(
    team = "$village-HG",
    village = village,
    commune = village.substringBefore('-'),
    receivedOn = "2025-09-02",
    basis = "one_party_request",
    mediators = listOf(Person(name = "Nguyễn Thị Lan", role = "hòa giải viên")),
    assignedOn = "2025-09-03",
    parties = listOf(
        Party(name = "Trần Văn Hùng", birthYear = 1968, sex = "male",
            address = "Số 12, ngõ 45, thôn 1", phone = "0912 345 678", role = "requesting"),
        Party(name = "Lê Thị Mai", birthYear = 1975, sex = "female",
            address = "Số 14, ngõ 45, thôn 1", role = "other"),
    ),
    category = "conflict",
    subtype = "path",
    summary = "Tranh chấp lối đi chung giữa hai hộ liền kề",
)

fun story(ui: Ui, server: String, enrollmentCode: (String) -> String) {
    val root = Files.createTempDirectory("danvan-demo")
    try {
        ui.step("Chị Lan (hòa giải viên) đăng ký điện thoại bằng mã dùng một lần",
            "Lan (mediator) enrolls her phone with a one-time code")
        Device(ui, server, enrollmentCode("MEDIATOR"), "Điện thoại chị Lan", Files.createDirectory(root.resolve("lan"))).use { lan ->
            val e = lan.enrollment
            ui.line("Đã đăng ký: ${e.person} · ${e.role} · đơn vị ${e.unit}",
                "Enrolled: ${e.person} · ${e.role} · unit ${e.unit}")
            check(e.role == "mediator", "enrolled as a mediator")

            ui.step("Không có mạng: chị Lan ghi một vụ việc mới", "No network: Lan records a new case")
            ui.line("Phạm vi thống kê có thể chọn: " + codes("mediation.category").joinToString(" · ") { it.vi },
                "Categories to pick from: " + codes("mediation.category").joinToString(" · ") { it.en })
            val created = lan.store.createMediation(e.unit, "2025-09-02", newCase(e.unit))
            ui.card(created)
            check(created.sync.state == SyncState.LOCAL_ONLY, "a new case is on the phone only")
            check(created.status.code == "received", "a new case is received")
            val id = created.id

            ui.step("Ngày 8/9: màn hình chính nhắc việc quá hạn", "8 September: the home screen shows what is overdue")
            val late = lan.store.overdue("2025-09-08")
            ui.overdue(late)
            check(late.singleOrNull()?.rule == "mediation_not_started", "the late start is overdue")
            ui.summary(lan.store.summary("2025-09-08"))

            ui.step("Chị Lan bắt đầu hòa giải (chuyển trạng thái)", "Lan starts mediating (a status change)")
            ui.line("Có thể chuyển sang: " + created.nextStatuses.joinToString(" · ") { it.vi },
                "May move to: " + created.nextStatuses.joinToString(" · ") { it.en })
            val mediating = lan.store.transition(id, "mediating", "2025-09-08", "Đã gặp hai bên")
            ui.line("Trạng thái: ${mediating.status.vi}", "Status: ${mediating.status.en}")
            check(lan.store.overdue("2025-09-08").isEmpty(), "nothing is overdue once started")

            ui.step("Có mạng: chị Lan đồng bộ", "Back online: Lan syncs")
            val first = lan.sync()
            check(first.accepted == 1uL, "the case was accepted")
            ui.line("Trạng thái đồng bộ: ${ui.syncState(lan.store.syncInfo(id))}",
                "Sync state: ${ui.syncState(lan.store.syncInfo(id))}")

            ui.step("Chị Hoa (tổ trưởng) nhận vụ việc trên điện thoại của mình",
                "Hoa (team leader) receives the case on her phone")
            Device(ui, server, enrollmentCode("TEAM_LEADER"), "Điện thoại chị Hoa", Files.createDirectory(root.resolve("hoa"))).use { hoa ->
                hoa.sync()
                // The village may hold other records (the test server seeds one): look for this case.
                check(hoa.store.list(ListFilter()).any { it.id == id }, "the leader received the case")

                ui.step("Cả hai cùng sửa khi không có mạng: chị Hoa ghi số sổ và sửa nội dung, chị Lan cũng sửa nội dung",
                    "Both edit offline: Hoa gives the logbook number and rewrites the summary, Lan rewrites it too")
                val atHoa = hoa.store.get(id).mediation!!
                hoa.store.updateMediation(id, atHoa.copy(logbookNo = 7u,
                    summary = "Tranh chấp lối đi chung (hộ bà Mai xây tường lấn 0,3 m)"))
                val atLan = lan.store.get(id).mediation!!
                lan.store.updateMediation(id, atLan.copy(summary = "Tranh chấp lối đi chung, hai hộ đã gặp nhau"))
                hoa.sync()
                lan.sync()

                ui.step("Trên máy chị Lan: số sổ của tổ trưởng đã được gộp, nội dung có xung đột",
                    "On Lan's phone: the leader's logbook number is merged, the summary is in conflict")
                val merged = lan.store.get(id)
                ui.card(merged)
                check(merged.mediation?.logbookNo == 7u, "the leader's logbook number merged")
                val conflict = merged.conflicts.singleOrNull()
                check(conflict != null && conflict.path.endsWith("summary"), "one conflict on the summary")
                check(conflict!!.values.map { it.author }.toSet() == setOf(lan.id, hoa.id), "both authors shown")

                ui.step("Chị Lan chọn bản của tổ trưởng", "Lan keeps the team leader's version")
                val choice = conflict.values.indexOfFirst { it.author == hoa.id }
                val resolved = lan.store.resolveConflict(id, conflict.path, choice.toUInt())
                check(resolved.conflicts.isEmpty(), "the conflict is resolved")

                ui.step("Hòa giải thành: chị Lan ghi thỏa thuận và kết thúc vụ việc",
                    "Mediation succeeded: Lan records the agreement and closes the case")
                lan.store.updateMediation(id, resolved.mediation!!.copy(
                    agreement = "Hộ bà Mai tháo dỡ phần tường lấn lối đi trước ngày 30/9/2025",
                    agreementDueOn = "2025-09-30"))
                val closed = lan.store.transition(id, "successful", "2025-09-10", null)
                ui.card(closed)
                check(closed.status.code == "successful" && closed.mediation?.closedOn == "2025-09-10", "closed as successful")
                lan.sync()
                hoa.sync()
                val atLeader = hoa.store.get(id)
                check(atLeader.conflicts.isEmpty() && atLeader.status.code == "successful", "the leader sees the resolved, closed case")
                ui.line("Máy chị Hoa: ${atLeader.status.vi}, không còn xung đột.",
                    "Hoa's phone: ${atLeader.status.en}, no conflict left.")

                attachAgreement(ui, lan, hoa, id, root)
                exchangeOffline(ui, lan, hoa)

                val second = twoStatuses(ui, lan, hoa)

                ui.step("Tổng quan cuối ngày", "End of the day")
                val s = lan.store.summary("2025-09-12")
                ui.summary(s)
                check(s.unsynced == 0uL && s.rejected == 0uL, "everything synced")
                for (phone in listOf(lan, hoa)) {
                    for (case in listOf(id, second).map { phone.store.get(it) }) {
                        check(case.conflicts.isEmpty() && case.reviewIssues.isEmpty() &&
                            case.sync.state == SyncState.ACCEPTED && !case.sync.dirty,
                            "both cases settled on both phones")
                    }
                }
            }
        }
        receptionDesk(ui, server, enrollmentCode, root)
        println("\n✓ ${ui.t("Kịch bản hoàn tất.", "Scripted run complete.")}")
    } finally {
        root.toFile().deleteRecursively()
    }
}

/**
 * A second case, worked on by both at once: a status conflict chosen on the conflict screen,
 * then a change the server refuses and Hoa discards.
 */
private fun twoStatuses(ui: Ui, lan: Device, hoa: Device): String {
    val names = mapOf(lan.id to "chị Lan", hoa.id to "chị Hoa")
    ui.step("Vụ việc thứ hai: tranh chấp ranh giới đất, cả hai điện thoại đều có",
        "A second case, a land boundary dispute, on both phones")
    val case = lan.store.createMediation(lan.enrollment.unit, "2025-09-02", newCase(lan.enrollment.unit).copy(
        subtype = "land_boundary", summary = "Tranh chấp ranh giới đất vườn giữa hai hộ"))
    val id = case.id
    lan.sync()
    hoa.sync()
    check(hoa.store.get(id).status.code == "received", "the leader has the second case")

    ui.step("Không có mạng, cùng ngày 9/9: chị Lan dừng hòa giải (bên yêu cầu rút đơn), chị Hoa bắt đầu hòa giải",
        "Offline on 9 September: Lan stops the case (the request was withdrawn), Hoa starts mediating")
    lan.store.transition(id, "stopped", "2025-09-09", "Bên yêu cầu rút đơn")
    hoa.store.transition(id, "mediating", "2025-09-09", "Đã gặp hai bên tại thực địa")
    val pushed = listOf(hoa.sync(), lan.sync(), hoa.sync())
    check(pushed.all { it.rejected == 0uL }, "no phone's change is refused")

    ui.step("Màn hình xung đột trạng thái (giống nhau trên cả hai máy)",
        "The status-conflict screen (the same on both phones)")
    val atLan = lan.store.get(id)
    val atHoa = hoa.store.get(id)
    val conflict = atLan.conflicts.singleOrNull()
    check(conflict != null && conflict.path == "status", "one status conflict")
    check(atHoa.conflicts == atLan.conflicts && atHoa.status == atLan.status, "both phones show the same")
    check(conflict!!.values[0] == conflict.current && atLan.status.code == conflict.current.value, "the shown status is listed first")
    check(conflict.values.associate { it.value to it.author } == mapOf("stopped" to lan.id, "mediating" to hoa.id),
        "both statuses with their authors")
    ui.conflictScreen(atLan, conflict, names)

    ui.step("Chị Lan gọi cho chị Hoa: các bên muốn hòa giải tiếp; chị chọn “Đang hòa giải”",
        "Lan calls Hoa: the parties want to go on; she picks “Mediating”")
    val pick = conflict.values.indexOfFirst { it.value == "mediating" }
    val chosen = lan.store.resolveConflict(id, "status", pick.toUInt())
    ui.card(chosen)
    check(chosen.status.code == "mediating" && chosen.conflicts.isEmpty(), "resolved to mediating")
    ui.line("Lịch sử: " + chosen.history.joinToString(" · ") { "${it.to.vi} (${names[it.by] ?: it.by.takeLast(8)})" },
        "History: " + chosen.history.joinToString(" · ") { "${it.to.en} (${names[it.by] ?: it.by.takeLast(8)})" })
    lan.sync()
    hoa.sync()
    check(hoa.store.get(id).let { it.status.code == "mediating" && it.conflicts.isEmpty() }, "the leader sees the choice")
    ui.line("Máy chị Hoa: Đang hòa giải, không còn xung đột.", "Hoa's phone: Mediating, no conflict left.")

    ui.step("Không có mạng: chị Lan sửa ngày nhận thành 3/9, chị Hoa sửa ngày phân công thành 2/9",
        "Offline: Lan corrects the date received to the 3rd, Hoa the assignment date to the 2nd")
    lan.store.updateMediation(id, lan.store.get(id).mediation!!.copy(receivedOn = "2025-09-03"))
    hoa.store.updateMediation(id, hoa.store.get(id).mediation!!.copy(assignedOn = "2025-09-02"))
    check(listOf(lan.sync(), hoa.sync(), lan.sync()).all { it.rejected == 0uL }, "each change is valid alone: accepted")
    val review = lan.store.get(id)
    ui.card(review)
    check(review.reviewIssues.map { it.field } == listOf("mediation.assigned_on"), "the merge is shown for review")

    ui.step("Chị Lan sửa ngày phân công thành 4/9 và đồng bộ; chị Hoa chưa có mạng",
        "Lan sets the assignment date to the 4th and syncs; Hoa is still offline")
    lan.store.updateMediation(id, review.mediation!!.copy(assignedOn = "2025-09-04"))
    lan.sync()

    ui.step("Chị Hoa đổi ngày nhận thành 5/9 rồi đồng bộ: máy chủ từ chối (sau ngày phân công chị Lan đã sửa)",
        "Hoa moves the date received to the 5th and syncs: refused (after the assignment date Lan set)")
    hoa.store.updateMediation(id, hoa.store.get(id).mediation!!.copy(receivedOn = "2025-09-05"))
    check(hoa.sync().rejected == 1uL, "Hoa's change is refused")
    val refused = hoa.store.get(id)
    ui.rejected(refused)
    check(refused.sync.state == SyncState.REJECTED && refused.sync.rejection?.code == "invalid", "rejected as invalid")
    val home = hoa.store.summary("2025-09-12")
    ui.summary(home)
    check(home.needsAttention >= 1uL, "the home screen counts it as needing attention")

    ui.step("Chị Hoa chọn “Bỏ thay đổi của tôi”", "Hoa taps “Discard my change”")
    val back = hoa.store.discardRejected(id)
    check(back is Discarded.Reverted, "back to what the server accepted")
    ui.card((back as Discarded.Reverted).record)
    check(hoa.sync().accepted == 1uL, "the undoing is accepted")
    lan.sync()
    val a = lan.store.get(id)
    val b = hoa.store.get(id)
    check(a.bodyJson == b.bodyJson && a.mediation?.receivedOn == "2025-09-03" && a.mediation?.assignedOn == "2025-09-04",
        "both phones hold the accepted dates")
    check(b.sync.state == SyncState.ACCEPTED && b.reviewIssues.isEmpty(), "nothing left to do")
    ui.line("Hai máy như nhau: nhận 3/9, phân công 4/9, máy chủ đã nhận.",
        "Both phones agree: received the 3rd, assigned the 4th, accepted by the server.")
    return id
}
