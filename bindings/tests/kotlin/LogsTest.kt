// The core's logs reach the app (issue 13): a LogListener written in Kotlin receives the
// core's `tracing` events — level, target, the text with its span and fields — while the app
// opens its store and syncs with the live server; a lower level filters at once; a listener
// that throws does not disturb the core; null stops delivery.
package danvan.tests

import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.atomic.AtomicInteger
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import vn.danvan.core.*

class LogsTest {
    data class Line(val level: LogLevel, val target: String, val message: String)

    /** Keeps every line (called on the thread that logged, so a thread-safe list). */
    class Lines : LogListener {
        val lines = CopyOnWriteArrayList<Line>()
        override fun onLog(level: LogLevel, target: String, message: String) {
            lines.add(Line(level, target, message))
        }
    }

    @After
    fun noListener() = setLogListener(null, LogLevel.INFO)

    @Test
    fun `the core's logs of opening a store and syncing reach the app`() {
        val got = Lines()
        setLogListener(got, LogLevel.DEBUG)
        Phone("MEDIATOR", "logs").use { lan ->
            // Opening the store logs under danvan_core::store (DEBUG).
            assertTrue("${got.lines}", got.lines.any { it.target.startsWith("danvan_core::store") })
            lan.store.createMediation("11533-T01", "2025-09-02", caseForm())
            assertEquals(1uL, lan.sync().accepted)

            val done = got.lines.filter { it.target == "danvan_core::sync" && "sync complete" in it.message }
            assertEquals("${got.lines}", 1, done.size)
            assertEquals(LogLevel.INFO, done[0].level)
            // The span and its field, then the message and the event's fields.
            val text = done[0].message
            assertTrue(text, text.startsWith("sync{device=${lan.deviceId}}: sync complete"))
            assertTrue(text, "pushed=1" in text)
        }
    }

    @Test
    fun `a lower level filters at once, a throwing listener is harmless, null stops`() {
        Phone("MEDIATOR", "logs-levels").use { lan ->
            val warn = Lines()
            setLogListener(warn, LogLevel.WARN)
            lan.store.createMediation("11533-T01", "2025-09-02", caseForm())
            assertEquals(1uL, lan.sync().accepted)
            assertTrue("${warn.lines}", warn.lines.none { it.level == LogLevel.INFO || it.level == LogLevel.DEBUG })

            // The listener throws on every line: the sync goes on and succeeds.
            val calls = AtomicInteger()
            setLogListener(object : LogListener {
                override fun onLog(level: LogLevel, target: String, message: String) {
                    calls.incrementAndGet()
                    throw IllegalStateException("log buffer full")
                }
            }, LogLevel.TRACE)
            lan.store.createMediation("11533-T01", "2025-09-02", caseForm("Tranh chấp ranh giới"))
            assertEquals(1uL, lan.sync().accepted)
            assertTrue("the throwing listener was called", calls.get() > 0)

            // A new listener replaces it; null stops delivery.
            val info = Lines()
            setLogListener(info, LogLevel.INFO)
            lan.sync()
            assertTrue("${info.lines}", info.lines.any { "sync complete" in it.message })
            setLogListener(null, LogLevel.TRACE)
            val seen = info.lines.size
            val before = calls.get()
            lan.sync()
            assertEquals(seen, info.lines.size)
            assertEquals(before, calls.get())
        }
    }
}
