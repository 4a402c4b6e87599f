// The scripted run's attachment step (ADR 0014): Lan photographs the signed agreement, the
// photo is downscaled and kept encrypted beside her store, sent after the record sync; Hoa's
// sync brings only the reference, and she downloads the photo when she opens it.
package danvan.demo

import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.nio.file.Files
import java.nio.file.Path
import javax.imageio.ImageIO
import vn.danvan.core.*

private fun check(ok: Boolean, what: String) {
    if (!ok) throw StoryFailed(what)
}

/** The photo a phone camera would take of the signed minutes: 3,000 × 2,000 pixels, JPEG. */
fun photoOfMinutes(): ByteArray {
    val img = BufferedImage(3000, 2000, BufferedImage.TYPE_INT_RGB)
    val g = img.createGraphics()
    g.color = java.awt.Color(245, 242, 230)
    g.fillRect(0, 0, 3000, 2000)
    g.color = java.awt.Color(30, 30, 60)
    g.font = java.awt.Font(java.awt.Font.SERIF, java.awt.Font.PLAIN, 64)
    val lines = listOf("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "",
        "BIÊN BẢN HÒA GIẢI THÀNH", "Tổ hòa giải thôn 1 · ngày 10/9/2025",
        "Hộ bà Mai tháo dỡ phần tường lấn lối đi trước ngày 30/9/2025.",
        "Các bên đã đọc lại và cùng ký tên dưới đây.")
    lines.forEachIndexed { i, l -> g.drawString(l, 200, 250 + i * 120) }
    // Paper grain, so the photo weighs what a real one does.
    var h = 2166136261L
    for (y in 0 until 2000 step 2) for (x in 0 until 3000 step 2) {
        h = (h xor (x * 7919L + y * 104729L)) * 16777619L and 0xffffffffL
        if (h and 7L == 0L) img.setRGB(x, y, 0xd8d4c8)
    }
    g.dispose()
    val out = ByteArrayOutputStream()
    ImageIO.write(img, "jpg", out)
    return out.toByteArray()
}

fun attachAgreement(ui: Ui, lan: Device, hoa: Device, id: String, root: Path) {
    ui.step("Chị Lan chụp ảnh biên bản hòa giải thành có chữ ký và đính kèm vào vụ việc (không cần mạng)",
        "Lan photographs the signed agreement and attaches it to the case (no network needed)")
    val photo = photoOfMinutes()
    val info = lan.store.attach(id, photo, "image/jpeg", "bien-ban-hoa-giai-thanh.jpg", null)
    ui.line("Ảnh chụp ${photo.size / 1024} KB → lưu ${info.size.toLong() / 1024} KB (thu nhỏ còn cạnh dài 2.048 điểm ảnh, bỏ vị trí GPS) · ${info.stateVi}",
        "Photo of ${photo.size / 1024} KB → kept as ${info.size.toLong() / 1024} KB (longer side 2,048 px, GPS dropped) · ${info.stateEn}")
    check(info.state == AttachmentState.WAITING && info.size < photo.size.toULong(), "the photo waits, downscaled")
    // The store is encrypted, and so is the photo beside it: no JPEG on the disk.
    val onDisk = Files.walk(root.resolve("lan")).filter { it.fileName.toString() == info.sha256 }.findFirst()
    check(onDisk.isPresent, "the photo is kept beside the store")
    val raw = Files.readAllBytes(onDisk.get())
    check(!(raw[0] == 0xFF.toByte() && raw[1] == 0xD8.toByte()), "the photo on disk is encrypted")
    ui.line("Trên bộ nhớ máy, ảnh được mã hóa bằng khóa của kho dữ liệu.", "On the phone's disk the photo is encrypted with the store's key.")

    ui.step("Có mạng: đồng bộ hồ sơ, rồi gửi ảnh (gửi từng phần, tiếp tục được nếu mất mạng)",
        "Online: the record syncs, then the photo goes (in pieces, resumable after a cut)")
    lan.sync()
    val sent = lan.store.uploadAttachments(lan.server, lan.enrollment.credentials, null)
    ui.line("Đã gửi ${sent.uploaded} tệp, ${sent.bytesSent.toLong() / 1024} KB · ${lan.store.attachments(id).single().stateVi}",
        "Sent ${sent.uploaded} file, ${sent.bytesSent.toLong() / 1024} KB · ${lan.store.attachments(id).single().stateEn}")
    check(sent.uploaded == 1u, "the photo is on the server")

    ui.step("Chị Hoa đồng bộ: chỉ nhận tham chiếu; mở vụ việc thì mới tải ảnh về",
        "Hoa syncs: only the reference comes; the photo downloads when she opens it")
    hoa.sync()
    val remote = hoa.store.attachments(id).single()
    ui.line("${remote.name}: ${remote.stateVi}", "${remote.name}: ${remote.stateEn}")
    check(remote.state == AttachmentState.REMOTE, "the photo is on the server only")
    val bytes = hoa.store.downloadAttachment(hoa.server, hoa.enrollment.credentials, id, remote.sha256, null)
    check(bytes.contentEquals(lan.store.readAttachment(info.sha256)), "the same photo on both phones")
    ui.line("Đã tải ${bytes.size / 1024} KB · ${hoa.store.attachments(id).single().stateVi}",
        "Downloaded ${bytes.size / 1024} KB · ${hoa.store.attachments(id).single().stateEn}")
}
