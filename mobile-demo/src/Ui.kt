// Output helpers of the field-app demo: texts in Vietnamese or English, record cards, progress.
package danvan.demo

import vn.danvan.core.*

/** The demo's language and how it prints. */
class Ui(val lang: Language) {
    fun t(vi: String, en: String) = if (lang == Language.VI) vi else en

    fun label(c: CodeLabel) = if (lang == Language.VI) c.vi else c.en

    /** The label of `code` in the code list `list` (the code itself if unknown). */
    fun label(list: String, code: String?): String =
        code?.let { vn.danvan.core.label(list, it)?.let { l -> label(l) } ?: it } ?: "—"

    fun step(vi: String, en: String) = println("\n▶ ${t(vi, en)}")

    fun line(vi: String, en: String) = println("  ${t(vi, en)}")

    fun syncState(s: SyncInfo): String {
        val state = when (s.state) {
            SyncState.LOCAL_ONLY -> t("chỉ có trên máy", "on this phone only")
            SyncState.SENT -> t("đã gửi, chờ máy chủ", "sent, awaiting the server")
            SyncState.ACCEPTED -> t("máy chủ đã nhận", "accepted by the server")
            SyncState.REJECTED -> t("máy chủ từ chối", "rejected by the server")
        }
        val dirty = when {
            !s.dirty -> ""
            s.state == SyncState.ACCEPTED -> t(" (có sửa đổi chưa gửi)", " (edits not sent yet)")
            s.state == SyncState.REJECTED -> t(" (đã sửa hoặc bỏ thay đổi, chờ gửi lại)", " (fixed or discarded, to be sent again)")
            else -> ""
        }
        val why = s.rejection?.let { ": " + t(it.vi, it.en) } ?: ""
        return state + dirty + why
    }

    /** A record card as a phone screen shows it. */
    fun card(r: RecordView) {
        val m = r.mediation
        println("  ┌ ${label("record.kind", kindCode(r.kind))} · ${label(r.status)}")
        if (m != null) {
            println("  │ ${t("Nội dung", "Summary")}: ${m.summary}")
            println("  │ ${t("Phạm vi thống kê", "Category")}: ${label("mediation.category", m.category)} · " +
                "${t("Loại việc", "Subtype")}: ${label("mediation.subtype", m.subtype)}")
            println("  │ ${t("Căn cứ", "Basis")}: ${label("mediation.basis", m.basis)}")
            println("  │ ${t("Ngày nhận", "Received")}: ${m.receivedOn} · ${t("phân công", "assigned")}: ${m.assignedOn ?: "—"}" +
                " · ${t("bắt đầu", "started")}: ${m.startedOn ?: "—"} · ${t("kết thúc", "closed")}: ${m.closedOn ?: "—"}")
            m.logbookNo?.let { println("  │ ${t("Số sổ", "Logbook no.")}: $it") }
            for (p in m.parties) {
                println("  │ ${label("mediation.party_role", p.role)}: ${p.name}" +
                    (p.birthYear?.let { " (${t("sinh", "born")} $it)" } ?: "") + ", ${p.address}")
            }
            m.agreement?.let { println("  │ ${t("Thỏa thuận", "Agreement")}: $it") }
        }
        r.petition?.let { p ->
            println("  │ ${label("petition.type", p.petitionType)} · ${label("petition.subject", p.subject)}: ${p.summary}")
            println("  │ ${t("Ngày nhận", "Received")}: ${p.receivedOn} · ${t("thụ lý", "accepted")}: ${p.acceptedOn ?: "—"}" +
                " · ${t("kết thúc", "closed")}: ${p.closedOn ?: "—"}")
            for (e in p.extensions) println("  │ ${t("Gia hạn", "Extended")} ${e.decidedOn}: ${e.reason}")
            p.resolution?.let { println("  │ ${t("Kết quả", "Outcome")}: ${label("petition.outcome", it.outcome)}") }
        }
        r.dialogue?.let { d ->
            println("  │ ${label("dialogue.type", d.dialogueType)} · ${d.heldOn} · ${d.place}: ${d.topic}")
            println("  │ ${t("Chủ trì", "Chair")}: ${label("dialogue.chair_role", d.chairRole)} ${d.chairName}" +
                " · ${t("người dự", "participants")}: ${d.participants.sumOf { it.count }}")
            for (i in d.issues) {
                val c = i.commitment?.let { c -> " → ${c.responsible}: ${c.action} (${t("hạn", "due")} ${c.dueOn})" } ?: ""
                val done = if (d.followUps.any { it.issueId == i.id && it.done }) " ✓" else ""
                println("  │ • ${i.content} [${label("dialogue.issue_answer", i.answer)}]$c$done")
            }
        }
        println("  │ ${t("Đồng bộ", "Sync")}: ${syncState(r.sync)}")
        for (c in r.conflicts) {
            println("  │ ⚠ ${t("Xung đột tại", "Conflict at")} ${conflictPlace(c)}:")
            c.values.forEachIndexed { i, v ->
                println("  │     [$i] ${conflictValue(r.kind, c, v)} — ${t("thiết bị", "device")} ${v.author.takeLast(8)}")
            }
        }
        for (i in r.reviewIssues) println("  │ ⚑ ${t("Cần xem lại", "To review")}: ${i.field} — ${t(i.vi, i.en)}")
        println("  └ ${t("Mã", "Id")}: ${r.id}")
    }

    fun conflictPlace(c: Conflict) = if (c.path == "status") t("trạng thái", "the status") else c.path

    /** A competing value as a person reads it: a status by its label, anything else as text. */
    fun conflictValue(kind: RecordKind, c: Conflict, v: ConflictValue): String =
        if (c.path == "status") label("${kindCode(kind)}.status", v.value) else v.value

    /**
     * The conflict screen: the place, each competing value with who wrote it (`names`: device
     * id → person, for the devices the phone knows; the id's end otherwise), which one the
     * record shows now, and the numbers to choose by.
     */
    fun conflictScreen(r: RecordView, c: Conflict, names: Map<String, String>) {
        println("  ┌ ⚠ ${t("Hai người cùng sửa", "Two people changed")} ${conflictPlace(c)} ${t("khi không có mạng", "while offline")}")
        c.values.forEachIndexed { i, v ->
            val who = names[v.author] ?: "${t("thiết bị", "device")} ${v.author.takeLast(8)}"
            val shown = if (v == c.current) t("  ← đang hiển thị", "  ← shown now") else ""
            println("  │  ${i + 1}. ${conflictValue(r.kind, c, v)} — $who$shown")
        }
        println("  └ ${t("Chọn một bản; bản còn lại vẫn nằm trong lịch sử.", "Pick one; the other stays in the history.")}")
    }

    /** A refused record as its screen shows it: the reason, the marked fields, the two ways out. */
    fun rejected(r: RecordView) {
        val why = r.sync.rejection ?: return
        println("  ┌ ✗ ${t("Máy chủ từ chối thay đổi", "The server refused the change")} (${why.code})")
        println("  │ vi: ${why.vi}")
        println("  │ en: ${why.en}")
        for (i in r.reviewIssues) println("  │ ⚑ ${i.field}: ${t(i.vi, i.en)}")
        println("  │ [${t("Bỏ thay đổi của tôi", "Discard my change")}]  [${t("Sửa và gửi lại", "Fix and send again")}]")
        println("  └ ${t("Mã", "Id")}: ${r.id}")
    }

    fun overdue(items: List<OverdueItem>) {
        if (items.isEmpty()) line("Không có việc quá hạn.", "Nothing is overdue.")
        for (o in items) {
            println("  ⏰ ${t(o.vi, o.en)} (${t("hạn", "due")} ${o.dueOn}, ${t("trễ", "late by")} ${o.daysLate} ${t("ngày", "day(s)")})")
        }
    }

    /** The reception officer's "overdue petitions" screen, most late first. */
    fun overduePetitions(items: List<OverduePetition>) {
        if (items.isEmpty()) return line("Không có đơn quá hạn.", "No petition is overdue.")
        println("  ┌ ${t("Đơn quá hạn", "Overdue petitions")} (${items.size})")
        for (o in items) {
            println("  │ ⏰ ${label(o.petitionType)} · ${o.summary}")
            println("  │     ${t(o.vi, o.en)} ${t("Hạn", "Due")} ${o.dueOn}, ${t("trễ", "late by")} ${o.daysLate} ${t("ngày", "day(s)")}.")
        }
        println("  └")
    }

    fun deadlines(d: PetitionDeadlines) = line(
        "Hạn thụ lý ${d.acceptBy} · hạn giải quyết ${d.resolveByBase ?: "—"}, sau ${d.extensions} lần gia hạn: ${d.resolveBy ?: "—"}" +
            " (được gia hạn tối đa ${d.extensionsAllowed} lần)",
        "Accept by ${d.acceptBy} · resolve by ${d.resolveByBase ?: "—"}, after ${d.extensions} extension(s): ${d.resolveBy ?: "—"}" +
            " (at most ${d.extensionsAllowed} allowed)")

    fun summary(s: HomeSummary) {
        println("  ${t("Tổng số hồ sơ", "Records")}: ${s.total} · ${t("chưa đồng bộ", "unsynced")}: ${s.unsynced} · " +
            "${t("quá hạn", "overdue")}: ${s.overdue} · ${t("bị từ chối", "rejected")}: ${s.rejected} · " +
            "${t("xung đột", "conflicts")}: ${s.conflicts} · ${t("cần xử lý", "needs attention")}: ${s.needsAttention}")
        for (c in s.byKindStatus) println("    ${label(c.status)}: ${c.count}")
    }

    /** A listener that prints each round trip, as a progress bar would move. */
    fun progress() = object : SyncListener {
        override fun onProgress(progress: SyncProgress) {
            println("  … ${t("vòng", "round")} ${progress.rounds}: ${t("đã gửi", "pushed")} ${progress.pushed}/${progress.toPush}, " +
                "${t("nhận về", "received")} ${progress.pulled}")
        }
    }

    fun synced(p: SyncProgress) = line(
        "Đồng bộ xong: ${p.rounds} lượt gửi-nhận · ${p.accepted} được nhận · ${p.rejected} bị từ chối · ${p.pulled} hồ sơ tải về",
        "Synced: ${p.rounds} round trip(s) · ${p.accepted} accepted · ${p.rejected} rejected · ${p.pulled} received")

    fun error(e: DanvanException) {
        println("  ✗ ${errorMessage(e, lang)}")
        if (e is DanvanException.InvalidInput) for (i in e.issues) println("    – ${i.field}: ${t(i.vi, i.en)}")
    }
}

fun kindCode(k: RecordKind) = when (k) {
    RecordKind.MEDIATION -> "mediation"
    RecordKind.INSPECTION -> "inspection"
    RecordKind.DEMOCRACY -> "democracy"
    RecordKind.PETITION -> "petition"
    RecordKind.DIALOGUE -> "dialogue"
}
