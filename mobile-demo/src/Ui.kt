// Output helpers of the field-app demo: texts in Vietnamese or English, record cards, progress.
package danvan.demo

import uniffi.danvan.*

/** The demo's language and how it prints. */
class Ui(val lang: Language) {
    fun t(vi: String, en: String) = if (lang == Language.VI) vi else en

    fun label(c: CodeLabel) = if (lang == Language.VI) c.vi else c.en

    /** The label of `code` in the code list `list` (the code itself if unknown). */
    fun label(list: String, code: String?): String =
        code?.let { uniffi.danvan.label(list, it)?.let { l -> label(l) } ?: it } ?: "—"

    fun step(vi: String, en: String) = println("\n▶ ${t(vi, en)}")

    fun line(vi: String, en: String) = println("  ${t(vi, en)}")

    fun syncState(s: SyncInfo): String {
        val state = when (s.state) {
            SyncState.LOCAL_ONLY -> t("chỉ có trên máy", "on this phone only")
            SyncState.SENT -> t("đã gửi, chờ máy chủ", "sent, awaiting the server")
            SyncState.ACCEPTED -> t("máy chủ đã nhận", "accepted by the server")
            SyncState.REJECTED -> t("máy chủ từ chối", "rejected by the server")
        }
        val dirty = if (s.dirty && s.state == SyncState.ACCEPTED) t(" (có sửa đổi chưa gửi)", " (edits not sent yet)") else ""
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
        println("  │ ${t("Đồng bộ", "Sync")}: ${syncState(r.sync)}")
        for (c in r.conflicts) {
            println("  │ ⚠ ${t("Xung đột tại", "Conflict at")} ${c.path}:")
            c.values.forEachIndexed { i, v -> println("  │     [$i] ${v.value} — ${t("thiết bị", "device")} ${v.author.takeLast(8)}") }
        }
        println("  └ ${t("Mã", "Id")}: ${r.id}")
    }

    fun overdue(items: List<OverdueItem>) {
        if (items.isEmpty()) line("Không có việc quá hạn.", "Nothing is overdue.")
        for (o in items) {
            println("  ⏰ ${t(o.vi, o.en)} (${t("hạn", "due")} ${o.dueOn}, ${t("trễ", "late by")} ${o.daysLate} ${t("ngày", "day(s)")})")
        }
    }

    fun summary(s: HomeSummary) {
        println("  ${t("Tổng số hồ sơ", "Records")}: ${s.total} · ${t("chưa đồng bộ", "unsynced")}: ${s.unsynced} · " +
            "${t("quá hạn", "overdue")}: ${s.overdue} · ${t("bị từ chối", "rejected")}: ${s.rejected} · " +
            "${t("xung đột", "conflicts")}: ${s.conflicts}")
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
}
