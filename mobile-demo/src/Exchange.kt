// The scripted run's phone-to-phone step (ADR 0014): in a village with no signal, Lan hands
// Hoa a new case as a file; Hoa adds the logbook number and hands it back; later both sync and
// the server has the case once.
package danvan.demo

import vn.danvan.core.*

private fun check(ok: Boolean, what: String) {
    if (!ok) throw StoryFailed(what)
}

fun exchangeOffline(ui: Ui, lan: Device, hoa: Device) {
    ui.step("Không có sóng: chị Lan ghi một vụ việc mới và gửi cho chị Hoa bằng tệp (Bluetooth, cáp, thẻ nhớ…)",
        "No signal: Lan records a new case and hands it to Hoa as a file (Bluetooth, cable, memory card…)")
    check(lan.store.canExchange() && hoa.store.canExchange(), "both phones are certified by the server")
    val case = lan.store.createMediation(lan.enrollment.unit, "2025-09-11",
        newCase(lan.enrollment.unit).copy(summary = "Tranh chấp tiếng ồn giữa hai hộ (trao đổi không cần mạng)"))
    val file = lan.store.exportBundle(hoa.store.hello())
    val got = hoa.store.importBundle(file)
    ui.line("Tệp ${file.size} byte · máy chị Hoa nhận ${got.newRecords} vụ việc mới (đã kiểm tra chữ ký của máy chị Lan)",
        "File of ${file.size} bytes · Hoa's phone takes ${got.newRecords} new case (Lan's phone's signature checked)")
    check(got.newRecords == 1u, "Hoa received the case")

    ui.step("Chị Hoa ghi số sổ rồi gửi lại: tệp chỉ mang phần chị Lan chưa có",
        "Hoa gives it a logbook number and hands it back: the file carries only what Lan lacks")
    hoa.store.updateMediation(case.id, hoa.store.get(case.id).mediation!!.copy(logbookNo = 8u))
    val back = hoa.store.exportBundle(lan.store.hello())
    val merged = lan.store.importBundle(back)
    ui.line("Tệp ${back.size} byte · máy chị Lan cập nhật ${merged.updatedRecords} vụ việc, số sổ ${lan.store.get(case.id).mediation?.logbookNo}",
        "File of ${back.size} bytes · Lan's phone updates ${merged.updatedRecords} case, logbook no. ${lan.store.get(case.id).mediation?.logbookNo}")
    check(lan.store.get(case.id).mediation?.logbookNo == 8u, "Lan has Hoa's logbook number")

    ui.step("Có mạng lại: chị Hoa đồng bộ trước, rồi chị Lan — máy chủ nhận vụ việc một lần",
        "Online again: Hoa syncs first, then Lan — the server takes the case once")
    val h = hoa.sync()
    val l = lan.sync()
    check(h.rejected == 0uL && l.rejected == 0uL, "nothing refused")
    hoa.sync()
    check(lan.store.get(case.id).sync.state == SyncState.ACCEPTED &&
        hoa.store.get(case.id).sync.state == SyncState.ACCEPTED &&
        lan.store.get(case.id).mediation == hoa.store.get(case.id).mediation, "both phones hold the accepted case")
}
