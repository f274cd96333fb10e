//! The polling hook: a tick every [`POLL_MS`] while `active` holds.

use leptos::prelude::*;

/// How often progress is polled while a run is queued or training.
pub const POLL_MS: u32 = 2000;

/// What a page keys its resources on.
#[derive(Clone, Copy)]
pub struct Poll {
    /// Advances every `POLL_MS` while active: key live data (progress, newest logs) on it.
    pub tick: ReadSignal<u64>,
    /// Advances once each time activity stops: key "one final refresh" data on it.
    pub settled: ReadSignal<u64>,
}

/// Ticks while `active()` is true (checked whenever it changes) and stops when it
/// turns false, with one `settled` bump. The timer runs only in the browser and is
/// dropped when the view goes away, so no timer is left behind.
pub fn use_poll(active: impl Fn() -> bool + Send + Sync + 'static) -> Poll {
    let (tick, set_tick) = signal(0u64);
    let (settled, set_settled) = signal(0u64);
    #[cfg(feature = "hydrate")]
    {
        use gloo_timers::callback::Interval;
        let timer = StoredValue::new_local(None::<Interval>);
        let was_active = StoredValue::new(false);
        Effect::new(move |_| {
            let now_active = active();
            if now_active {
                if timer.with_value(|t| t.is_none()) {
                    timer.set_value(Some(Interval::new(POLL_MS, move || {
                        set_tick.update(|t| *t += 1)
                    })));
                }
            } else {
                timer.set_value(None);
                if was_active.get_value() {
                    set_settled.update(|s| *s += 1);
                }
            }
            was_active.set_value(now_active);
        });
        on_cleanup(move || timer.set_value(None));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (active, set_tick, set_settled);
    Poll { tick, settled }
}
