// Attachments through the generated bindings against the live test server (ADR 0014): a
// mediator photographs the signed agreement offline, the upload is cut by a flaky link and
// resumes where it stopped, and her team leader downloads the photo on demand.
package danvan.tests

import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.io.InputStream
import java.io.OutputStream
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.net.URI
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicLong
import javax.imageio.ImageIO
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import vn.danvan.core.*

/** A photo as a phone camera takes it: 3,000 × 2,000 pixels of detail, as JPEG. */
fun cameraPhoto(): ByteArray {
    val img = BufferedImage(3000, 2000, BufferedImage.TYPE_INT_RGB)
    var h = 2166136261L
    for (y in 0 until 2000) for (x in 0 until 3000) {
        h = (h xor (x * 7919L + y * 104729L)) * 16777619L and 0xffffffffL
        img.setRGB(x, y, (h and 0xffffff).toInt())
    }
    val out = ByteArrayOutputStream()
    ImageIO.write(img, "jpg", out)
    return out.toByteArray()
}

/**
 * A loopback TCP proxy standing for a flaky mobile link: it forwards to the server until
 * `cutAfter` bytes have passed (both ways), then shuts every connection and refuses new ones
 * until [restore].
 */
class FlakyLink(target: String, private val cutAfter: Long) : AutoCloseable {
    private val server = ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())
    private val uri = URI.create(target)
    private val moved = AtomicLong()
    private val cut = AtomicBoolean(false)
    private val open = CopyOnWriteArrayList<Socket>()
    val url = "http://127.0.0.1:${server.localPort}"

    init {
        Thread {
            while (!server.isClosed) {
                val client = try { server.accept() } catch (e: Exception) { break }
                if (cut.get()) { client.close(); continue }
                val upstream = Socket()
                upstream.connect(InetSocketAddress(uri.host, uri.port))
                open.add(client); open.add(upstream)
                pump(client.getInputStream(), upstream.getOutputStream())
                pump(upstream.getInputStream(), client.getOutputStream())
            }
        }.apply { isDaemon = true }.start()
    }

    private fun pump(from: InputStream, to: OutputStream) {
        Thread {
            val buf = ByteArray(16 * 1024)
            try {
                while (true) {
                    val n = from.read(buf)
                    if (n < 0 || cut.get()) break
                    if (moved.addAndGet(n.toLong()) > cutAfter) { cutNow(); break }
                    to.write(buf, 0, n)
                    to.flush()
                }
            } catch (e: Exception) {
            }
            try { to.close() } catch (e: Exception) {}
        }.apply { isDaemon = true }.start()
    }

    private fun cutNow() {
        cut.set(true)
        open.forEach { try { it.close() } catch (e: Exception) {} }
        open.clear()
    }

    fun isCut() = cut.get()

    fun restore() {
        moved.set(Long.MIN_VALUE / 2)
        cut.set(false)
    }

    override fun close() = server.close()
}

class AttachmentTest {
    @Test
    fun aPhotoTakenOfflineIsUploadedAfterACutAndDownloadedByTheTeamLeader() {
        Phone("MEDIATOR", "Lan (ảnh biên bản)").use { lan ->
            Phone("TEAM_LEADER", "Hoa (tải ảnh)").use { hoa ->
                // Offline: the case and the photo of the signed agreement.
                val rec = lan.store.createMediation("11533-T01", "2025-09-02", caseForm("Có ảnh biên bản"))
                val photo = cameraPhoto()
                val info = lan.store.attach(rec.id, photo, "image/jpeg", "bien-ban-hoa-giai-thanh.jpg", null)
                assertEquals(AttachmentState.WAITING, info.state)
                assertEquals("Đang chờ gửi", info.stateVi)
                assertTrue("downscaled: ${info.size} < ${photo.size}", info.size < photo.size.toULong())
                val stored = lan.store.readAttachment(info.sha256)
                val scaled = ImageIO.read(stored.inputStream())
                assertEquals(2048, maxOf(scaled.width, scaled.height))
                // A text file is not a photo or a PDF: refused, nothing attached.
                try {
                    lan.store.attach(rec.id, "xin chào".toByteArray(), "", "ghi-chu.txt", null)
                    fail("a text file was attached")
                } catch (e: DanvanException.InvalidInput) {
                    assertEquals("media_type_not_allowed", e.issues.single().code)
                }
                assertEquals(1, lan.store.attachments(rec.id).size)

                // The record syncs; the upload goes over a link cut after 400 KB.
                lan.sync()
                FlakyLink(Server.url, 400_000).use { link ->
                    try {
                        lan.store.uploadAttachments(link.url, lan.enrollment.credentials, null)
                        fail("the cut link did not fail the upload")
                    } catch (e: DanvanException.Network) {
                    }
                    assertTrue(link.isCut())
                    val half = lan.store.attachments(rec.id).single()
                    assertEquals(AttachmentState.UPLOADING, half.state)
                    assertTrue("${half.transferred} of ${half.size}",
                        half.transferred > 0uL && half.transferred < half.size)
                    assertTrue(half.stateVi, half.stateVi.startsWith("Đang gửi "))
                    // The link comes back: the upload resumes, it does not start again.
                    link.restore()
                    val done = lan.store.uploadAttachments(link.url, lan.enrollment.credentials, null)
                    assertEquals(1u, done.uploaded)
                    assertEquals(half.size - half.transferred, done.bytesSent)
                    assertEquals(AttachmentState.UPLOADED, lan.store.attachments(rec.id).single().state)
                }

                // The team leader's sync brings the reference; she downloads the photo on demand.
                hoa.sync()
                val remote = hoa.store.attachments(rec.id).single()
                assertEquals(AttachmentState.REMOTE, remote.state)
                assertEquals("bien-ban-hoa-giai-thanh.jpg", remote.name)
                try {
                    hoa.store.readAttachment(remote.sha256)
                    fail("bytes that were never downloaded were read")
                } catch (e: DanvanException.NotFound) {
                }
                val seen = CopyOnWriteArrayList<Long>()
                val listener = object : AttachmentListener {
                    override fun onProgress(doneBytes: ULong, totalBytes: ULong) { seen.add(doneBytes.toLong()) }
                }
                val bytes = hoa.store.downloadAttachment(Server.url, hoa.enrollment.credentials,
                    rec.id, remote.sha256, listener)
                assertArrayEquals(stored, bytes)
                assertTrue(seen.size > 1)
                assertEquals(AttachmentState.DOWNLOADED, hoa.store.attachments(rec.id).single().state)
                assertArrayEquals(stored, hoa.store.readAttachment(remote.sha256))
            }
        }
    }
}
