// The encrypted store (ADR 0013) through the generated bindings: the app gives the key (here 32
// bytes from SecureRandom; on a phone from the Android Keystore / iOS Keychain). A wrong key is
// refused with `DanvanException.WrongKey` and changes nothing; the right key still has every
// record; a plain store from an older app version is encrypted on its first open with a key.
// Needs no server.
package danvan.tests

import java.io.File
import java.nio.file.Files
import java.security.SecureRandom
import java.util.UUID
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import vn.danvan.core.*

class EncryptedStoreTest {
    private val plainHeader = "SQLite format 3\u0000".toByteArray(Charsets.US_ASCII)

    private fun newKey() = ByteArray(32).also { SecureRandom().nextBytes(it) }

    private fun isPlain(file: File) = file.readBytes().copyOf(16).contentEquals(plainHeader)

    private fun withDir(body: (File) -> Unit) {
        val dir = Files.createTempDirectory("danvan-encrypted").toFile()
        try {
            body(dir)
        } finally {
            dir.deleteRecursively()
        }
    }

    private fun addCases(store: DanvanStore, n: Int): List<RecordView> = (1..n).map {
        store.createRecordJson(
            RecordKind.MEDIATION, "11533-T01", "2025-09-02", exampleBodyJson(RecordKind.MEDIATION))
    }

    private fun assertHolds(store: DanvanStore, records: List<RecordView>) {
        assertEquals(records.map { it.id }.sorted(), store.list(ListFilter()).map { it.id }.sorted())
        for (r in records) assertEquals(r, store.get(r.id))
    }

    @Test
    fun aWrongKeyIsRefusedAndChangesNothingTheRightKeyHasEveryRecord() = withDir { dir ->
        val file = File(dir, "danvan.sqlite3")
        val device = UUID.randomUUID().toString()
        val key = newKey()
        val records = DanvanStore.openEncrypted(file.path, device, key).use { store ->
            addCases(store, 3).also { store.closeStore() }
        }
        assertFalse("the store file is plain SQLite", isPlain(file))
        val before = file.readBytes()

        try {
            DanvanStore.openEncrypted(file.path, device, newKey()).use { fail("opened with a wrong key") }
        } catch (e: DanvanException.WrongKey) {
            assertEquals("Không mở được kho dữ liệu: khóa không đúng.", errorMessage(e, Language.VI))
            assertEquals("The store could not be opened: wrong key.", errorMessage(e, Language.EN))
        }
        assertArrayEquals("the failed open changed the file", before, file.readBytes())
        // Without a key the file is not a store at all.
        try {
            DanvanStore.open(file.path, device).use { fail("opened without its key") }
        } catch (e: DanvanException.StoreUnusable) {
        }
        try {
            DanvanStore.openEncrypted(file.path, device, ByteArray(16)).use { fail("a 16-byte key") }
        } catch (e: DanvanException.InvalidInput) {
            assertEquals("bad_key_length", e.issues.single().code)
        }

        DanvanStore.openEncrypted(file.path, device, key).use { store ->
            assertHolds(store, records)
            assertEquals(3, store.search("loi di").size)
            store.closeStore()
        }
    }

    @Test
    fun aPlainStoreIsEncryptedOnItsFirstOpenWithAKey() = withDir { dir ->
        val file = File(dir, "danvan.sqlite3")
        val device = UUID.randomUUID().toString()
        val records = DanvanStore.open(file.path, device).use { store ->
            addCases(store, 2).also { store.closeStore() }
        }
        assertTrue(isPlain(file))
        val key = newKey()
        DanvanStore.openEncrypted(file.path, device, key).use { store ->
            assertHolds(store, records)
            store.closeStore()
        }
        assertFalse("still plain after the migration", isPlain(file))
        assertFalse(File(dir, "danvan.sqlite3.encrypting").exists())
        DanvanStore.openEncrypted(file.path, device, key).use { store ->
            assertHolds(store, records)
            store.closeStore()
        }
    }
}
