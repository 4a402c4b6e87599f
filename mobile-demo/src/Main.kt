// danvan field-app demo on the JVM, on the generated Kotlin bindings (package vn.danvan.core).
//
//   --scripted --server URL   a mediator's day end to end (codes from DANVAN_CODES_MEDIATOR and
//                             DANVAN_CODES_TEAM_LEADER); exits 1 if any step does not behave
//   --server URL [--data-dir DIR]   interactive terminal mode (menu in Vietnamese)
//   --lang en                 English instead of Vietnamese
//   --log-level LEVEL         the core's log lines on stderr: off, error, warn, info (default),
//                             debug or trace
package danvan.demo

import java.io.File
import java.util.Properties
import kotlin.system.exitProcess
import vn.danvan.core.*

fun main(args: Array<String>) {
    val opts = args.toList()
    fun opt(name: String) = opts.indexOf(name).takeIf { it >= 0 }?.let { opts.getOrNull(it + 1) }
    val ui = Ui(if (opt("--lang") == "en") Language.EN else Language.VI)
    installCoreLogs(opt("--log-level"))
    val server = opt("--server") ?: System.getenv("DANVAN_URL")
    if (server == null) {
        System.err.println("usage: --server URL [--scripted] [--lang en] [--data-dir DIR] [--log-level LEVEL]")
        exitProcess(2)
    }
    if ("--scripted" in opts) {
        val used = mutableMapOf<String, Int>()
        val code = { role: String ->
            val list = System.getenv("DANVAN_CODES_$role")?.split(",") ?: error("DANVAN_CODES_$role is not set")
            val i = used.getOrDefault(role, 0).also { used[role] = it + 1 }
            list[i]
        }
        try {
            story(ui, server, code)
        } catch (e: StoryFailed) {
            println("\n✗ ${ui.t("Kịch bản thất bại", "Scripted run failed")}: ${e.message}")
            exitProcess(1)
        } catch (e: DanvanException) {
            ui.error(e)
            exitProcess(1)
        }
        return
    }
    val dir = File(opt("--data-dir") ?: (System.getProperty("user.home") + "/.danvan-demo"))
    Interactive(ui, server, dir).run()
}

/** The terminal app: one menu, one store, credentials kept in the data directory. */
class Interactive(private val ui: Ui, private val server: String, private val dir: File) {
    // A real app keeps the secret in the Android Keystore / iOS Keychain; the demo uses a file.
    private val credFile = File(dir, "device.properties")
    private var creds: DeviceCredentials? = null
    private var unit = ""
    private var person = ""
    private var store: DanvanStore? = null

    private fun ask(vi: String, en: String): String? {
        print("${ui.t(vi, en)}: ")
        System.out.flush()
        return readLine()?.trim()
    }

    private fun today(): String = java.time.LocalDate.now(java.time.ZoneOffset.ofHours(7)).toString()

    private fun load() {
        if (!credFile.exists()) return
        val p = Properties().apply { credFile.inputStream().use { load(it) } }
        creds = DeviceCredentials(p.getProperty("device_id"), p.getProperty("device_secret"))
        unit = p.getProperty("unit")
        person = p.getProperty("person", "")
        store?.closeStore()
        // One store file per device identity (a re-enrolled phone is a new device).
        // Encrypted with the key kept beside it (StoreKey.kt: a real app uses the platform
        // keystore); a plain store of an older demo is encrypted on this first open.
        store = DanvanStore.openEncrypted(
            File(dir, "danvan-${creds!!.deviceId}.sqlite3").path, creds!!.deviceId, storeKey(dir))
    }

    private fun enrollNow() {
        val code = ask("Mã đăng ký (ví dụ 7KQ2-M9XD-4TPA)", "Enrollment code (e.g. 7KQ2-M9XD-4TPA)") ?: return
        val e = enroll(server, code, "danvan-demo")
        dir.mkdirs()
        Properties().apply {
            setProperty("device_id", e.credentials.deviceId)
            setProperty("device_secret", e.credentials.deviceSecret)
            setProperty("unit", e.unit)
            setProperty("person", e.person)
            credFile.outputStream().use { store(it, "danvan demo device") }
        }
        ui.line("Đã đăng ký: ${e.person} · ${e.role} · ${e.unit}", "Enrolled: ${e.person} · ${e.role} · ${e.unit}")
        load()
    }

    private fun pick(list: String, vi: String, en: String): String? {
        val values = codes(list)
        values.forEachIndexed { i, c -> println("   ${i + 1}. ${ui.label(c)}") }
        val n = ask(vi, en)?.toIntOrNull() ?: return null
        return values.getOrNull(n - 1)?.code
    }

    private fun newCase(s: DanvanStore) {
        val summary = ask("Nội dung chủ yếu", "Main content") ?: return
        val category = pick("mediation.category", "Phạm vi thống kê (số)", "Category (number)") ?: return
        val subtype = pick("mediation.subtype", "Loại việc (số)", "Subtype (number)") ?: return
        val a = ask("Bên yêu cầu: họ tên", "Requesting party: name") ?: return
        val aAddr = ask("Bên yêu cầu: địa chỉ", "Requesting party: address") ?: return
        val b = ask("Bên còn lại: họ tên", "Other party: name") ?: return
        val bAddr = ask("Bên còn lại: địa chỉ", "Other party: address") ?: return
        val received = ask("Ngày nhận (NNNN-TT-NN, để trống = hôm nay)", "Date received (YYYY-MM-DD, empty = today)")
            ?.ifEmpty { today() } ?: return
        val form = MediationCase(
            team = "$unit-HG", village = unit, commune = unit.substringBefore('-'),
            receivedOn = received, basis = "one_party_request",
            // The mediator recording the case is assigned to it the day it is received.
            mediators = listOf(Person(name = person, role = "hòa giải viên")), assignedOn = received,
            parties = listOf(Party(name = a, address = aAddr, role = "requesting"),
                Party(name = b, address = bAddr, role = "other")),
            category = category, subtype = subtype, summary = summary)
        ui.card(s.createMediation(unit, received, form))
    }

    private fun chooseRecord(s: DanvanStore): String? {
        val rows = s.list(ListFilter(limit = 20u))
        rows.forEachIndexed { i, r -> println("   ${i + 1}. [${ui.label(r.status)}] ${r.summary}") }
        val n = ask("Chọn hồ sơ (số)", "Pick a record (number)")?.toIntOrNull() ?: return null
        return rows.getOrNull(n - 1)?.id
    }

    private fun transition(s: DanvanStore) {
        val id = chooseRecord(s) ?: return
        val r = s.get(id)
        if (r.nextStatuses.isEmpty()) return ui.line("Hồ sơ đã kết thúc.", "The record is closed.")
        r.nextStatuses.forEachIndexed { i, c -> println("   ${i + 1}. ${ui.label(c)}") }
        val n = ask("Chuyển sang (số)", "Move to (number)")?.toIntOrNull() ?: return
        val to = r.nextStatuses.getOrNull(n - 1) ?: return
        if (to.code == "successful") {
            val text = ask("Nội dung thỏa thuận", "What the parties agreed") ?: return
            s.updateMediation(id, r.mediation!!.copy(agreement = text))
        }
        ui.card(s.transition(id, to.code, today(), null))
    }

    private fun conflicts(s: DanvanStore) {
        val rows = s.list(ListFilter(conflictsOnly = true))
        if (rows.isEmpty()) return ui.line("Không có xung đột.", "No conflicts.")
        for (row in rows) {
            val r = s.get(row.id)
            println("  ${row.summary}")
            for (c in r.conflicts) {
                ui.conflictScreen(r, c, emptyMap())
                val n = ask("Giữ bản (số, Enter = bỏ qua)", "Keep value (number, Enter = skip)")?.toIntOrNull() ?: continue
                ui.card(s.resolveConflict(row.id, c.path, (n - 1).toUInt()))
            }
            // Rules a merge left for review are fixed by editing the record.
            for (i in r.reviewIssues) println("  ⚑ ${i.field}: ${ui.t(i.vi, i.en)}")
        }
    }

    /** Records the server refused: the reason, then discard the change or send it again. */
    private fun rejected(s: DanvanStore) {
        val rows = s.list(ListFilter(unsyncedOnly = true)).filter { it.syncState == SyncState.REJECTED }
        if (rows.isEmpty()) return ui.line("Không có hồ sơ bị từ chối.", "No refused records.")
        for (row in rows) {
            val r = s.get(row.id)
            println("  ${row.summary}")
            ui.rejected(r)
            println("   1. ${ui.t("Bỏ thay đổi của tôi", "Discard my change")}")
            println("   2. ${ui.t("Gửi lại ở lần đồng bộ sau (đã sửa nguyên nhân)", "Send again at the next sync (the cause was fixed)")}")
            when (ask("Chọn (Enter = bỏ qua)", "Choose (Enter = skip)")) {
                "1" -> when (val d = s.discardRejected(row.id)) {
                    is Discarded.Reverted -> ui.card(d.record)
                    Discarded.Removed -> ui.line("Đã xóa khỏi máy (máy chủ chưa từng nhận hồ sơ này).",
                        "Removed from this phone (the server never accepted it).")
                }
                "2" -> {
                    s.resend(row.id)
                    ui.line("Sẽ gửi lại ở lần đồng bộ sau.", "Will be sent at the next sync.")
                }
            }
        }
    }

    fun run() {
        try { load() } catch (e: DanvanException) { ui.error(e) }
        while (true) {
            println("\n== danvan · ${ui.t("sổ hòa giải", "mediation logbook")} · $server ==")
            val items = listOf(
                ui.t("Đăng ký thiết bị bằng mã", "Enroll this device with a code"),
                ui.t("Ghi vụ việc mới", "Record a new case"),
                ui.t("Danh sách vụ việc", "List cases"),
                ui.t("Tìm kiếm", "Search"),
                ui.t("Chuyển trạng thái", "Change a status"),
                ui.t("Việc quá hạn", "Overdue items"),
                ui.t("Đồng bộ", "Sync"),
                ui.t("Xử lý xung đột", "Resolve conflicts"),
                ui.t("Tổng quan", "Overview"),
                ui.t("Hồ sơ bị từ chối: bỏ thay đổi hoặc gửi lại", "Refused records: discard or send again"),
                ui.t("Đơn quá hạn (cán bộ tiếp công dân)", "Overdue petitions (reception officer)"),
            )
            items.forEachIndexed { i, s -> println(" ${i + 1}. $s") }
            println(" 0. ${ui.t("Thoát", "Quit")}")
            val choice = ask("Chọn", "Choose") ?: break
            if (choice == "0") break
            try {
                val s = store
                if (choice != "1" && s == null) {
                    ui.line("Hãy đăng ký thiết bị trước (mục 1).", "Enroll the device first (item 1).")
                    continue
                }
                when (choice) {
                    "1" -> enrollNow()
                    "2" -> newCase(s!!)
                    "3" -> s!!.list(ListFilter()).forEach { r ->
                        val marks = (if (r.hasConflicts) " ⚠" else "") + (if (r.dirty) " ↑" else "") +
                            (if (r.syncState == SyncState.REJECTED) " ✗" else "")
                        println("  • [${ui.label(r.status)}] ${r.mainDate ?: ""} ${r.summary}$marks")
                    }
                    "4" -> ask("Từ khóa (không cần dấu)", "Words (accents optional)")?.let { q ->
                        s!!.search(q).forEach { r -> println("  • [${ui.label(r.status)}] ${r.summary}") }
                    }
                    "5" -> transition(s!!)
                    "6" -> ui.overdue(s!!.overdue(today()))
                    "7" -> ui.synced(s!!.sync(server, creds!!, ui.progress()))
                    "8" -> conflicts(s!!)
                    "9" -> ui.summary(s!!.summary(today()))
                    "10" -> rejected(s!!)
                    "11" -> ui.overduePetitions(s!!.overduePetitions(today()))
                    else -> ui.line("Không có mục này.", "No such item.")
                }
            } catch (e: DanvanException) {
                ui.error(e)
            }
        }
        store?.closeStore()
    }
}
