// The demo's store key (ADR 0013). A real app creates the 32 random bytes once and keeps them in
// the platform keystore: on Android wrapped by a non-exportable AES key of the Android Keystore
// (the wrapped bytes in app-private storage), on iOS as a Keychain item
// (kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly). The JVM has no such keystore, so the demo
// keeps the key in a file beside the store, which protects nothing against someone holding the
// disk. Losing the key loses the store: there is no way back in without it.
package danvan.demo

import java.io.File
import java.io.FileOutputStream
import java.nio.file.Files
import java.nio.file.StandardCopyOption
import java.security.SecureRandom

/** The store key kept in `dir/store.key`: read, or created once with SecureRandom. */
fun storeKey(dir: File): ByteArray {
    val file = File(dir, "store.key")
    if (file.exists()) {
        val key = file.readBytes()
        check(key.size == 32) { "${file.path}: a store key is 32 bytes, not ${key.size}" }
        return key
    }
    dir.mkdirs()
    val key = ByteArray(32).also { SecureRandom().nextBytes(it) }
    // Written whole and fsynced before it is used: a store encrypted with a key that was then
    // lost in a crash could never be opened again.
    val tmp = File(dir, "store.key.tmp")
    FileOutputStream(tmp).use { out ->
        out.write(key)
        out.fd.sync()
    }
    tmp.setReadable(false, false)
    tmp.setReadable(true, true)
    Files.move(tmp.toPath(), file.toPath(), StandardCopyOption.ATOMIC_MOVE)
    return key
}
