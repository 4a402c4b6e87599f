//! The core's logs to the app: [`set_log_listener`] installs, once per process, a global
//! `tracing` subscriber whose only layer hands each event to the app's [`LogListener`] (Logcat,
//! `os.Logger`, the app's own log file), so a field bug report comes with the core's logs.
//!
//! - Events of danvan's own crates (targets `danvan_*`) arrive up to the chosen [`LogLevel`];
//!   other crates' events (Automerge, rusqlite, …) only at `Warn` and `Error`, whatever the
//!   level, so a verbose setting does not flood the app with a dependency's internals.
//! - The message carries the enclosing spans and the event's fields, as
//!   `sync{device=…}: sync complete rounds=1 pushed=1 pulled=0`.
//! - A later call replaces the listener and the level; `None` stops delivery. With no listener
//!   the `tracing` macros are disabled at their call sites (nothing is formatted).
//! - The listener is called on the thread that logged, without any lock held. Whatever it does,
//!   the core goes on: an exception it throws and a panic on the way are swallowed, and a log
//!   written while it runs on the same thread (the listener calling back into danvan) is
//!   dropped rather than delivered recursively.

use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber, span};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

/// How severe a log line is, most severe first. As the `max_level` of [`set_log_listener`], the
/// least severe level delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum LogLevel {
    /// Something failed.
    Error,
    /// Something unexpected the core worked around.
    Warn,
    /// What the core did (a sync session's figures, a schema upgrade).
    Info,
    /// Details for a bug report (store opened, changes applied).
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    fn filter(self) -> LevelFilter {
        match self {
            LogLevel::Error => LevelFilter::ERROR,
            LogLevel::Warn => LevelFilter::WARN,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Trace => LevelFilter::TRACE,
        }
    }

    fn of(level: &Level) -> LogLevel {
        match *level {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            Level::TRACE => LogLevel::Trace,
        }
    }
}

/// A log listener failed (what an exception thrown by the app's `onLog` becomes; the core
/// ignores it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum LogListenerError {
    /// The listener could not take the line.
    #[error("log listener failed: {detail}")]
    Failed {
        /// What failed (technical).
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for LogListenerError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        LogListenerError::Failed { detail: e.reason }
    }
}

/// Receives the core's log lines (implemented in Kotlin or Swift).
///
/// `target` is where the line comes from (`danvan_core::sync`, `danvan_core::store`, …),
/// `message` the text with its spans and fields. Called on the thread that logged (often the
/// thread calling the store or syncing): hand the line over to the platform's logger and return.
/// Whatever it throws is ignored.
#[uniffi::export(with_foreign)]
pub trait LogListener: Send + Sync {
    /// One log line.
    fn on_log(
        &self,
        level: LogLevel,
        target: String,
        message: String,
    ) -> Result<(), LogListenerError>;
}

/// The listener the layer delivers to (`None`: logging off).
static LISTENER: RwLock<Option<Arc<dyn LogListener>>> = RwLock::new(None);
/// The most verbose level delivered for danvan's targets, as [`level_code`] (0: off). Read on
/// every callsite check, without the lock.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
/// Whether the global subscriber is this module's (decided by the first listener set).
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// Target of the lines this module writes itself.
const TARGET: &str = "danvan_bindings::logging";

thread_local! {
    /// Set while this thread is inside the listener.
    static IN_LISTENER: Cell<bool> = const { Cell::new(false) };
}

fn level_code(filter: LevelFilter) -> u8 {
    match filter.into_level() {
        None => 0,
        Some(Level::ERROR) => 1,
        Some(Level::WARN) => 2,
        Some(Level::INFO) => 3,
        Some(Level::DEBUG) => 4,
        Some(Level::TRACE) => 5,
    }
}

fn filter_of(code: u8) -> LevelFilter {
    match code {
        0 => LevelFilter::OFF,
        1 => LevelFilter::ERROR,
        2 => LevelFilter::WARN,
        3 => LevelFilter::INFO,
        4 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

/// The most verbose level delivered for `target`.
fn max_for(target: &str) -> LevelFilter {
    let max = filter_of(MAX_LEVEL.load(Ordering::Relaxed));
    if target.starts_with("danvan") {
        max
    } else {
        max.min(LevelFilter::WARN)
    }
}

/// Send the core's logs to `listener`, up to `max_level` for danvan's own code (other crates'
/// lines at `Warn` and `Error` only); `None` stops. Replaces any listener set before.
///
/// The first listener installs danvan's global `tracing` subscriber. If the process already has
/// another global subscriber (an app embedding another Rust library that installed its own),
/// danvan's lines go there instead, and the listener receives one `Warn` line saying so.
#[uniffi::export]
pub fn set_log_listener(listener: Option<Arc<dyn LogListener>>, max_level: LogLevel) {
    let install = || {
        let subscriber = tracing_subscriber::registry().with(ListenerLayer);
        tracing::subscriber::set_global_default(subscriber).is_ok()
    };
    let installed = listener.as_ref().map(|_| *INSTALLED.get_or_init(install));
    let code = if listener.is_some() {
        level_code(max_level.filter())
    } else {
        0
    };
    {
        let mut current = LISTENER.write().unwrap_or_else(PoisonError::into_inner);
        *current = listener.clone();
        MAX_LEVEL.store(code, Ordering::Relaxed);
    }
    // Call sites cache whether they are enabled, and `tracing` keeps a global maximum level
    // from `max_level_hint`: both are recomputed for the new level.
    tracing::callsite::rebuild_interest_cache();
    if let (Some(listener), Some(false)) = (listener, installed) {
        deliver(
            &listener,
            LogLevel::Warn,
            TARGET,
            "another tracing subscriber is the process's global default: danvan's logs go to it, \
             not to this listener"
                .to_string(),
        );
    }
}

/// Call the listener once, never recursively on one thread, swallowing what it throws.
fn deliver(listener: &Arc<dyn LogListener>, level: LogLevel, target: &str, message: String) {
    if IN_LISTENER.with(Cell::get) {
        return;
    }
    IN_LISTENER.with(|f| f.set(true));
    // An exception thrown by the foreign listener comes back as `Err`; a panic (a bug on the
    // way, in uniffi's lifting or a Rust listener) is caught. Neither reaches the core.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        listener.on_log(level, target.to_string(), message)
    }));
    IN_LISTENER.with(|f| f.set(false));
}

/// The `tracing` layer that hands events to the listener.
struct ListenerLayer;

/// A span's fields as text, kept in the span's extensions.
struct SpanFields(String);

impl<S> Layer<S> for ListenerLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // The level changes at run time: ask `enabled` each time (it is one atomic load).
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        *metadata.level() <= max_for(metadata.target())
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(filter_of(MAX_LEVEL.load(Ordering::Relaxed)))
    }

    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut text = FieldText::default();
            attrs.record(&mut text);
            span.extensions_mut().insert(SpanFields(text.fields));
        }
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut text = FieldText::default();
            values.record(&mut text);
            let mut ext = span.extensions_mut();
            match ext.get_mut::<SpanFields>() {
                Some(SpanFields(fields)) => {
                    if !fields.is_empty() && !text.fields.is_empty() {
                        fields.push(' ');
                    }
                    fields.push_str(&text.fields);
                }
                None => ext.insert(SpanFields(text.fields)),
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if IN_LISTENER.with(Cell::get) {
            return;
        }
        let listener = LISTENER
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let Some(listener) = listener else {
            return;
        };
        let mut message = String::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                message.push_str(span.name());
                if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>()
                    && !fields.is_empty()
                {
                    let _ = write!(message, "{{{fields}}}");
                }
                message.push_str(": ");
            }
        }
        let mut text = FieldText::default();
        event.record(&mut text);
        message.push_str(&text.message);
        if !text.fields.is_empty() {
            if !text.message.is_empty() {
                message.push(' ');
            }
            message.push_str(&text.fields);
        }
        let meta = event.metadata();
        deliver(
            &listener,
            LogLevel::of(meta.level()),
            meta.target(),
            message,
        );
    }
}

/// An event's message and its other fields as `name=value` pairs.
#[derive(Default)]
struct FieldText {
    message: String,
    fields: String,
}

impl FieldText {
    fn field(&mut self, name: &str, value: fmt::Arguments<'_>) {
        if !self.fields.is_empty() {
            self.fields.push(' ');
        }
        let _ = write!(self.fields, "{name}={value}");
    }
}

impl Visit for FieldText {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.field(field.name(), format_args!("{value}"));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            self.field(field.name(), format_args!("{value:?}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    const T: &str = "danvan_bindings::logging::tests";

    #[derive(Default)]
    struct Collect(Mutex<Vec<(LogLevel, String, String)>>);

    impl Collect {
        fn lines(&self) -> Vec<(LogLevel, String, String)> {
            self.0.lock().map(|l| l.clone()).unwrap_or_default()
        }
        fn of_target(&self, target: &str) -> Vec<(LogLevel, String)> {
            self.lines()
                .into_iter()
                .filter(|(_, t, _)| t == target)
                .map(|(l, _, m)| (l, m))
                .collect()
        }
    }

    impl LogListener for Collect {
        fn on_log(
            &self,
            level: LogLevel,
            target: String,
            message: String,
        ) -> Result<(), LogListenerError> {
            if let Ok(mut l) = self.0.lock() {
                l.push((level, target, message));
            }
            Ok(())
        }
    }

    /// Fails every time (what a Kotlin exception becomes), or panics.
    struct Broken {
        panic: bool,
    }

    impl LogListener for Broken {
        fn on_log(&self, _: LogLevel, _: String, m: String) -> Result<(), LogListenerError> {
            if self.panic {
                panic!("listener panicked on {m}");
            }
            Err(LogListenerError::Failed { detail: m })
        }
    }

    /// Logs from inside the listener (as an app calling back into danvan would).
    struct Reentrant(Collect);

    impl LogListener for Reentrant {
        fn on_log(&self, l: LogLevel, t: String, m: String) -> Result<(), LogListenerError> {
            tracing::warn!(target: "danvan_bindings::logging::tests::inner", "inside {m}");
            self.0.on_log(l, t, m)
        }
    }

    // One test: the listener is global to the process, and the other tests of this crate log
    // concurrently (their lines are filtered out by target).
    #[test]
    fn core_logs_reach_the_listener_with_level_target_spans_and_fields() {
        let c = Arc::new(Collect::default());
        set_log_listener(Some(c.clone()), LogLevel::Debug);
        {
            let span = tracing::info_span!(target: T, "sync", device = "d-1");
            let _g = span.enter();
            tracing::info!(target: T, rounds = 2, pushed = 3, "sync {}", "complete");
            tracing::debug!(target: T, "detail");
            tracing::trace!(target: T, "too verbose");
        }
        tracing::error!(target: T, error = %"disk full", "no space");
        assert_eq!(
            c.of_target(T),
            vec![
                (
                    LogLevel::Info,
                    "sync{device=d-1}: sync complete rounds=2 pushed=3".to_string()
                ),
                (LogLevel::Debug, "sync{device=d-1}: detail".to_string()),
                (LogLevel::Error, "no space error=disk full".to_string()),
            ]
        );

        // Other crates: warnings and errors only.
        tracing::debug!(target: "automerge::op_set", "chatty");
        tracing::warn!(target: "automerge::op_set", "partial load");
        assert_eq!(
            c.of_target("automerge::op_set"),
            vec![(LogLevel::Warn, "partial load".to_string())]
        );

        // The core's own logging: opening a store logs under danvan_core::store.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.sqlite3").to_string_lossy().to_string();
        let store = crate::DanvanStore::open(path, uuid::Uuid::now_v7().to_string());
        assert!(store.is_ok());
        assert!(
            c.lines()
                .iter()
                .any(|(_, t, _)| t.starts_with("danvan_core::store")),
            "{:?}",
            c.lines()
        );

        // A lower level is applied at once.
        set_log_listener(Some(c.clone()), LogLevel::Warn);
        tracing::info!(target: T, "now filtered");
        tracing::warn!(target: T, "still there");
        assert_eq!(
            c.of_target(T).last(),
            Some(&(LogLevel::Warn, "still there".to_string()))
        );
        assert!(!c.of_target(T).iter().any(|(_, m)| m == "now filtered"));

        // A failing or panicking listener does not stop the caller.
        set_log_listener(Some(Arc::new(Broken { panic: false })), LogLevel::Trace);
        tracing::info!(target: T, "to a failing listener");
        set_log_listener(Some(Arc::new(Broken { panic: true })), LogLevel::Trace);
        tracing::info!(target: T, "to a panicking listener");

        // Logging from inside the listener is dropped, not delivered recursively.
        let r = Arc::new(Reentrant(Collect::default()));
        set_log_listener(Some(r.clone()), LogLevel::Info);
        tracing::info!(target: T, "outer");
        assert_eq!(
            r.0.of_target(T),
            vec![(LogLevel::Info, "outer".to_string())]
        );
        assert!(
            r.0.of_target("danvan_bindings::logging::tests::inner")
                .is_empty()
        );

        // Replaced listeners and `None` receive nothing more.
        set_log_listener(None, LogLevel::Trace);
        tracing::error!(target: T, "after none");
        assert!(!r.0.of_target(T).iter().any(|(_, m)| m == "after none"));
        assert!(!c.of_target(T).iter().any(|(_, m)| m == "after none"));
        assert!(*INSTALLED.get().expect("installed"));
    }
}
