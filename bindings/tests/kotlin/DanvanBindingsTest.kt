// Kotlin (JVM) tests of the generated danvan bindings against a live local server
// (`danvan-testserver`, started by scripts/kotlin-tests.sh, which passes its URL and one-time
// enrollment codes in the environment). They exercise the binding surface as an app uses it —
// records made offline, sync, another device's edit, conflicts, rejections, errors as
// exceptions, progress callbacks, a Kotlin transport — not the rules core's Rust tests cover.
package danvan.tests

import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.nio.file.Files
import java.time.Duration
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.atomic.AtomicInteger
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import vn.danvan.core.*

/** The live server and its one-time codes (each test takes fresh ones). */
object Server {
    val url: String = System.getenv("DANVAN_URL")
        ?: error("DANVAN_URL is not set: run scripts/kotlin-tests.sh")
    private val used = mutableMapOf<String, Int>()

    @Synchronized
    fun code(role: String): String {
        val codes = System.getenv("DANVAN_CODES_$role")?.split(",")
            ?: error("DANVAN_CODES_$role is not set")
        val i = used.getOrDefault(role, 0)
        check(i < codes.size) { "no $role enrollment code left" }
        used[role] = i + 1
        return codes[i]
    }
}

/** A phone: enrolled with a code, with its own store in a temporary directory. */
class Phone(role: String, label: String) : AutoCloseable {
    val enrollment: Enrollment = enroll(Server.url, Server.code(role), label)
    private val dir = Files.createTempDirectory("danvan-kt")
    val path: String = dir.resolve("danvan.sqlite3").toString()
    val store: DanvanStore = DanvanStore.open(path, enrollment.credentials.deviceId)
    val deviceId: String get() = enrollment.credentials.deviceId

    fun sync(listener: SyncListener? = null): SyncProgress =
        store.sync(Server.url, enrollment.credentials, listener)

    override fun close() {
        store.closeStore()
        store.close()
        dir.toFile().deleteRecursively()
    }
}

/** A mediation case of village 11533-T01 as the app's form fills it. */
fun caseForm(summary: String = "Tranh chấp lối đi chung giữa hai hộ liền kề") = MediationCase(
    team = "11533-T01-HG",
    village = "11533-T01",
    commune = "11533",
    receivedOn = "2025-09-02",
    basis = "one_party_request",
    mediators = listOf(Person(name = "Nguyễn Thị Lan", role = "hòa giải viên")),
    assignedOn = "2025-09-03",
    parties = listOf(
        Party(name = "Trần Văn Hùng", birthYear = 1968, sex = "male",
            address = "Số 12, ngõ 45", role = "requesting"),
        Party(name = "Lê Thị Mai", birthYear = 1975, sex = "female",
            address = "Số 14, ngõ 45", role = "other"),
    ),
    category = "conflict",
    subtype = "path",
    summary = summary,
)

/** A transport on the JDK's own HTTP client, as an app would plug in OkHttp or URLSession. */
class JdkTransport(private val base: String) : SyncTransport {
    val calls = AtomicInteger()
    private val client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build()

    override fun post(path: String, contentType: String, authorization: String?, body: ByteArray): HttpResponse {
        calls.incrementAndGet()
        val req = HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        if (authorization != null) req.header("Authorization", authorization)
        try {
            val r = client.send(req.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray())
            return HttpResponse(r.statusCode().toUShort(), r.body())
        } catch (e: java.io.IOException) {
            throw DanvanException.Network(e.toString())
        }
    }
}

class DanvanBindingsTest {
    @Test
    fun aCaseRecordedOfflineIsListedSearchedAndAcceptedBySync() {
        Phone("MEDIATOR", "Lan's phone").use { lan ->
            assertEquals("mediator", lan.enrollment.role)
            assertEquals("11533-T01", lan.enrollment.unit)
            val rec = lan.store.createMediation("11533-T01", "2025-09-02", caseForm())
            assertEquals(RecordKind.MEDIATION, rec.kind)
            assertEquals("Đã tiếp nhận", rec.status.vi)
            assertEquals("Received", rec.status.en)
            val form = rec.mediation!!
            assertEquals(2, form.parties.size)
            assertTrue(form.parties.all { it.id != null })
            assertEquals("Lối đi", label("mediation.subtype", form.subtype)!!.vi)
            assertEquals(SyncState.LOCAL_ONLY, rec.sync.state)
            assertTrue(rec.sync.dirty)

            // Offline: the server is unreachable; the record stays, unsynced.
            try {
                lan.store.sync("http://127.0.0.1:9", lan.enrollment.credentials, null)
                fail("sync to a closed port succeeded")
            } catch (e: DanvanException.Network) {
                assertTrue(errorMessage(e, Language.VI).contains("Không kết nối được"))
            }
            // No answer came: the record shows as not sent and stays pending.
            val offline = lan.store.syncInfo(rec.id)
            assertTrue(offline.dirty)
            assertEquals(SyncState.LOCAL_ONLY, offline.state)

            assertEquals(listOf(rec.id), lan.store.list(ListFilter()).map { it.id })
            assertEquals(listOf(rec.id), lan.store.search("loi di").map { it.id })
            assertEquals(listOf(rec.id), lan.store.search("TRẦN hùng").map { it.id })
            assertTrue(lan.store.search("thừa kế").isEmpty())
            assertEquals(1uL, lan.store.summary("2025-09-04").unsynced)

            val p = lan.sync()
            assertEquals(1uL, p.accepted)
            assertEquals(0uL, p.rejected)
            val info = lan.store.syncInfo(rec.id)
            assertEquals(SyncState.ACCEPTED, info.state)
            assertFalse(info.dirty)
            assertNull(info.rejection)
            assertEquals(0uL, lan.store.summary("2025-09-04").unsynced)
            assertTrue(lan.store.list(ListFilter(unsyncedOnly = true)).isEmpty())
        }
    }

    @Test
    fun aSecondDeviceReceivesTheOthersEdit() {
        Phone("MEDIATOR", "Lan").use { lan ->
            Phone("TEAM_LEADER", "Hoa").use { hoa ->
                val rec = lan.store.createMediation("11533-T01", "2025-09-02", caseForm())
                lan.sync()
                // The server shares one village with the other tests: look for this record.
                assertTrue(hoa.sync().pulled >= 1uL)
                val row = hoa.store.list(ListFilter()).single { it.id == rec.id }
                assertEquals(SyncState.ACCEPTED, row.syncState)
                assertFalse(row.dirty)

                val edited = rec.mediation!!.copy(summary = "Tranh chấp lối đi, đã đo lại ranh giới")
                lan.store.updateMediation(rec.id, edited)
                assertEquals(1uL, lan.sync().accepted)
                hoa.sync()
                val seen = hoa.store.get(rec.id).mediation!!
                assertEquals("Tranh chấp lối đi, đã đo lại ranh giới", seen.summary)
                assertEquals(rec.mediation!!.parties.map { it.id }, seen.parties.map { it.id })
            }
        }
    }

    @Test
    fun concurrentEditsShowAConflictThatResolvesEverywhere() {
        Phone("MEDIATOR", "Lan").use { lan ->
            Phone("TEAM_LEADER", "Hoa").use { hoa ->
                val rec = lan.store.createMediation("11533-T01", "2025-09-02", caseForm())
                lan.sync(); hoa.sync()
                // Both edit the summary offline; Hoa also gives the logbook number.
                lan.store.updateMediation(rec.id, rec.mediation!!.copy(summary = "Bản của Lan"))
                val hoaForm = hoa.store.get(rec.id).mediation!!
                hoa.store.updateMediation(rec.id, hoaForm.copy(summary = "Bản của Hoa", logbookNo = 7u))
                lan.sync(); hoa.sync(); lan.sync()

                val view = lan.store.get(rec.id)
                assertEquals(7u, view.mediation!!.logbookNo) // a different field merges
                val conflict = view.conflicts.single()
                assertTrue(conflict.path, conflict.path.endsWith("summary"))
                assertEquals(setOf(lan.deviceId, hoa.deviceId), conflict.values.map { it.author }.toSet())
                assertEquals(setOf("Bản của Lan", "Bản của Hoa"), conflict.values.map { it.value.trim('"') }.toSet())
                assertEquals(listOf(rec.id), lan.store.list(ListFilter(conflictsOnly = true)).map { it.id })
                assertEquals(1uL, lan.store.summary("2025-09-04").conflicts)

                val hoas = conflict.values.indexOfFirst { it.author == hoa.deviceId }
                val resolved = lan.store.resolveConflict(rec.id, conflict.path, hoas.toUInt())
                assertTrue(resolved.conflicts.isEmpty())
                assertEquals("Bản của Hoa", resolved.mediation!!.summary)
                lan.sync(); hoa.sync()
                val atHoa = hoa.store.get(rec.id)
                assertTrue(atHoa.conflicts.isEmpty())
                assertEquals("Bản của Hoa", atHoa.mediation!!.summary)
            }
        }
    }

    @Test
    fun theServersRejectionReasonIsShownOnTheRecord() {
        Phone("INSPECTOR", "Board member").use { insp ->
            // An inspection activity is the inspector's to write: accepted.
            val activity = insp.store.createRecordJson(
                RecordKind.INSPECTION, "11533", "2025-09-02", exampleBodyJson(RecordKind.INSPECTION))
            assertEquals(RecordKind.INSPECTION, activity.kind)
            assertTrue(activity.bodyJson.contains("\"status\""))
            // A mediation case is not: the server refuses it with a reason.
            val case = insp.store.createMediation("11533", "2025-09-02", caseForm())
            val p = insp.sync()
            assertEquals(1uL, p.accepted)
            assertEquals(1uL, p.rejected)
            assertEquals(SyncState.ACCEPTED, insp.store.syncInfo(activity.id).state)
            val info = insp.store.syncInfo(case.id)
            assertEquals(SyncState.REJECTED, info.state)
            val why = info.rejection!!
            assertEquals("forbidden_kind", why.code)
            assertEquals("Vai trò của bạn không được ghi loại hồ sơ này.", why.vi)
            assertEquals("Your role may not write this kind of record.", why.en)
            assertEquals(SyncState.REJECTED, insp.store.get(case.id).sync.state)
            assertEquals(1uL, insp.store.summary("2025-09-04").rejected)
        }
    }

    @Test
    fun lifecycleAndOverdueItems() {
        Phone("MEDIATOR", "Lan").use { lan ->
            val rec = lan.store.createMediation("11533-T01", "2025-09-02", caseForm())
            assertEquals(
                listOf("mediating", "stopped", "referred", "out_of_scope"),
                rec.nextStatuses.map { it.code })
            // Assigned on 3 September, not started by the 10th: overdue (3-day rule).
            val late = lan.store.overdue("2025-09-10").single()
            assertEquals(rec.id, late.recordId)
            assertEquals("mediation_not_started", late.rule)
            assertEquals("2025-09-06", late.dueOn)
            assertEquals(4L, late.daysLate)
            assertTrue(late.vi.startsWith("Chưa bắt đầu hòa giải"))
            assertEquals(1uL, lan.store.summary("2025-09-10").overdue)

            val mediating = lan.store.transition(rec.id, "mediating", "2025-09-05", null)
            assertEquals("Đang hòa giải", mediating.status.vi)
            assertEquals("2025-09-05", mediating.mediation!!.startedOn)
            assertTrue(lan.store.overdue("2025-09-10").isEmpty())

            val agreed = lan.store.updateMediation(rec.id, mediating.mediation!!.copy(
                agreement = "Giữ nguyên lối đi chung rộng 1,2 m", agreementDueOn = "2025-09-30"))
            val done = lan.store.transition(rec.id, "successful", "2025-09-06", "Hai bên ký biên bản")
            assertEquals("Hòa giải thành", done.status.vi)
            assertEquals("2025-09-06", done.mediation!!.closedOn)
            assertEquals(listOf("received", "mediating", "successful"), done.history.map { it.to.code })
            assertEquals("Hai bên ký biên bản", done.history.last().note)
            assertTrue(done.nextStatuses.isEmpty())
            assertEquals(agreed.mediation!!.agreement, done.mediation!!.agreement)
            val closed = lan.store.list(ListFilter(status = "successful")).single()
            assertTrue(closed.closed)
        }
    }

    @Test
    fun errorsArriveAsExceptionsWithBilingualMessages() {
        try {
            enroll(Server.url, "AAAA-BBBB-CCCC", "stranger")
            fail("a made-up code enrolled")
        } catch (e: DanvanException.Rejected) {
            assertTrue(e.code, e.code.startsWith("enroll_code"))
            assertTrue(errorMessage(e, Language.VI).startsWith("Máy chủ từ chối"))
            assertTrue(errorMessage(e, Language.EN).startsWith("The server refused"))
        }
        Phone("MEDIATOR", "Lan").use { lan ->
            // Invalid input writes nothing and names the field.
            try {
                lan.store.createMediation("11533-T01", "2025-09-02", caseForm().copy(parties = emptyList()))
                fail("a case without parties was saved")
            } catch (e: DanvanException.InvalidInput) {
                assertTrue(e.issues.any { it.field == "mediation.parties" && it.code == "required" })
                assertTrue(e.issues.all { it.vi.isNotEmpty() && it.en.isNotEmpty() })
            }
            try {
                lan.store.createMediation("11533-T01", "2025-13-01", caseForm())
                fail("a bad date was accepted")
            } catch (e: DanvanException.InvalidInput) {
                assertEquals("bad_date", e.issues.single().code)
            }
            try {
                lan.store.createMediation("11533-T01", "2025-09-02", caseForm().copy(subtype = "road"))
                fail("an unknown code was accepted")
            } catch (e: DanvanException.InvalidInput) {
                assertEquals("unknown_code", e.issues.single().code)
            }
            assertTrue(lan.store.list(ListFilter()).isEmpty())

            val rec = lan.store.createMediation("11533-T01", "2025-09-02", caseForm())
            try {
                lan.store.transition(rec.id, "successful", "2025-09-03", null)
                fail("received -> successful was allowed")
            } catch (e: DanvanException.InvalidInput) {
                assertEquals("transition_not_allowed", e.issues.single().code)
            }
            try {
                lan.store.get("0190f3a2-0000-7000-8000-000000000000")
                fail("a missing record was found")
            } catch (e: DanvanException.NotFound) {
            }
            // One writer per store file.
            try {
                DanvanStore.open(lan.path, lan.deviceId)
                fail("the store opened twice")
            } catch (e: DanvanException.StoreBusy) {
                assertTrue(errorMessage(e, Language.EN).contains("already open"))
            }
            lan.store.closeStore()
            try {
                lan.store.list(ListFilter())
                fail("a closed store answered")
            } catch (e: DanvanException.StoreClosed) {
            }
            // Closed, the file opens again with everything in it; another identity may not.
            DanvanStore.open(lan.path, lan.deviceId).use { again ->
                assertEquals(listOf(rec.id), again.list(ListFilter()).map { it.id })
            }
            try {
                DanvanStore.open(lan.path, "0190f3a2-0000-7000-8000-000000000001")
                fail("another device opened the store")
            } catch (e: DanvanException.StoreUnusable) {
            }
        }
    }

    @Test
    fun progressCallbacksAndAKotlinTransport() {
        val transport = JdkTransport(Server.url)
        val lanEnrollment = enrollWith(transport, Server.code("MEDIATOR"), "Lan (JDK HTTP)")
        val dir = Files.createTempDirectory("danvan-kt")
        DanvanStore.open(dir.resolve("a.sqlite3").toString(), lanEnrollment.credentials.deviceId).use { lan ->
            val mine = (1..3).map { i -> lan.createMediation("11533-T01", "2025-09-0${i + 1}", caseForm("Vụ việc số $i")).id }.toSet()
            val seen = CopyOnWriteArrayList<SyncProgress>()
            val listener = object : SyncListener {
                override fun onProgress(progress: SyncProgress) { seen.add(progress) }
            }
            val before = transport.calls.get()
            val p = lan.syncWith(transport, lanEnrollment.credentials, listener)
            assertEquals(3uL, p.accepted)
            assertTrue(transport.calls.get() > before)
            assertFalse(seen.isEmpty())
            assertEquals(3uL, seen.last().accepted)
            assertEquals(3uL, seen.last().toPush)
            assertTrue(mine.all { lan.syncInfo(it).state == SyncState.ACCEPTED })

            // Another device on the built-in transport receives them.
            Phone("TEAM_LEADER", "Hoa").use { hoa ->
                assertTrue(hoa.sync().pulled >= 3uL)
                val received = hoa.store.list(ListFilter()).filter { it.id in mine }
                assertEquals(setOf("Vụ việc số 1", "Vụ việc số 2", "Vụ việc số 3"),
                    received.map { it.summary }.toSet())
            }
            // Credentials of another device are refused before anything is sent.
            try {
                lan.syncWith(transport, lanEnrollment.credentials.copy(deviceId = "0190f3a2-0000-7000-8000-000000000002"), null)
                fail("foreign credentials were used")
            } catch (e: DanvanException.InvalidInput) {
                assertEquals("wrong_device", e.issues.single().code)
            }
            lan.closeStore()
        }
        dir.toFile().deleteRecursively()
    }

    @Test
    fun labelsForEveryCodeList() {
        val lists = codeLists()
        assertTrue(lists.containsAll(listOf("mediation.category", "mediation.subtype", "mediation.status", "sex")))
        val categories = codes("mediation.category")
        assertEquals("Mâu thuẫn giữa các bên", categories.first { it.code == "conflict" }.vi)
        assertNull(label("mediation.subtype", "no_such_code"))
        try {
            codes("no.such.list")
            fail("an unknown list answered")
        } catch (e: DanvanException.NotFound) {
            assertNotEquals("", errorMessage(e, Language.VI))
        }
        assertNotNull(codes("inspection.status").firstOrNull { it.code == "in_progress" })
    }
}
