// The core's logs in the demo (issue 13): a LogListener that prints each line of the Rust core
// to stderr, as an Android app would hand it to Logcat (android.util.Log) or an iOS app to
// os.Logger. Field bug reports then come with what the core did.
package danvan.demo

import vn.danvan.core.*

/** Prints `[core LEVEL target] message` to stderr (called on the thread that logged). */
class StderrLogListener : LogListener {
    override fun onLog(level: LogLevel, target: String, message: String) {
        System.err.println("[core $level $target] $message")
    }
}

/** `--log-level off|error|warn|info|debug|trace` (default info): installs the listener. */
fun installCoreLogs(level: String?) {
    val max = when (level?.lowercase() ?: "info") {
        "off" -> null
        "error" -> LogLevel.ERROR
        "warn" -> LogLevel.WARN
        "info" -> LogLevel.INFO
        "debug" -> LogLevel.DEBUG
        "trace" -> LogLevel.TRACE
        else -> {
            System.err.println("--log-level: off, error, warn, info, debug or trace")
            kotlin.system.exitProcess(2)
        }
    }
    setLogListener(max?.let { StderrLogListener() }, max ?: LogLevel.ERROR)
}
