//! Playback across a slow link: the page is opened through the throttling
//! proxy (100 Mbit/s, 20 ms each way), and the bytes that cross it are
//! counted. Bytes are asserted; times are printed as MEASURED lines, never
//! asserted (machines are shared and noisy).

use crate::browser::new_client;
use crate::playback::{CLOUD_X, recorded_cloud, recorded_with, stats, wait_for_step};
use crate::support::runtime;
use crate::throttle::{Link, Throttle};
use crate::webdriver::{self, ChromeDriver};

const POINTS: usize = 20_000;

/// A cloud of `POINTS` points, the first at x = step, the rest noise (a
/// scan does not compress much either), so a step's state is ~240 KB and
/// a block (about 4 MiB of steps) is ~17 steps.
pub(crate) fn cloud_at(t: u32) -> Vec<[f32; 3]> {
    crate::noise::noisy_cloud(t, POINTS)
}

#[test]
fn a_cold_seek_over_a_slow_link_moves_one_steps_state_not_its_block() {
    let _one_at_a_time = webdriver::exclusive();
    let (proxy, pending) = Throttle::bind(Link::OFFICE);
    let (server, _cloud) =
        recorded_cloud(96, 30.0, cloud_at, |b| b.allowed_origins([proxy.origin()]));
    pending.forward_to(server.port());
    let url = proxy.url(&server.url());
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let id = new_client(&server, &[]);
        wait_for_step(&tab, 0).await;
        let before = stats(&tab).await;
        let down = proxy.down();

        let playback = server.client_playback(id).expect("a playback handle");
        playback.seek(90).expect("seek");
        wait_for_step(&tab, 90).await;
        let after = stats(&tab).await;
        let seek_bytes = proxy.down() - down;
        let delta = |key: &str| after[key].as_u64().unwrap_or(0) - before[key].as_u64().unwrap_or(0);
        assert_eq!(delta("statesReceived"), 1, "{after}");
        assert_eq!(delta("blocksReceived"), 0, "paused: no block: {after}");
        let state_bytes = delta("bytesReceived");
        assert!(
            (seek_bytes as f64) <= 1.5 * state_bytes as f64,
            "a cold seek moved {seek_bytes} bytes for a state of {state_bytes}"
        );

        // Playing on fetches the block (what a seek moved before states).
        let down = proxy.down();
        server.play(None, None).expect("play");
        tab.wait_until("the block of step 90", STATS_BLOCKS, |n| {
            n.as_u64() > before["blocksReceived"].as_u64()
        })
        .await;
        let block_bytes = proxy.down() - down;
        assert!(
            block_bytes > 5 * seek_bytes,
            "the block ({block_bytes} bytes) is not much bigger than the state ({seek_bytes}): the comparison means nothing"
        );
        println!(
            "MEASURED cold seek over 100 Mbit/s, 20 ms: {seek_bytes} bytes through the link for a {state_bytes}-byte state \
             ({:.2}x), applied {} ms after the seek; the block the seek used to fetch: {block_bytes} bytes ({:.1}x the seek)",
            seek_bytes as f64 / state_bytes.max(1) as f64,
            after["lastSeekMs"],
            block_bytes as f64 / seek_bytes.max(1) as f64,
        );
        tab.close().await;
    });
}

const STATS_BLOCKS: &str = "
    const r = window.__viser4dRuntime;
    return r && r.stats ? r.stats().blocksReceived : null;";

/// The slider's buffered ranges, as the bar names them.
const BUFFERED: &str = "
    const s = document.querySelector('[data-viser4d-role=slider]');
    return s ? s.getAttribute('data-viser4d-buffered') : null;";

#[test]
fn playback_over_a_slow_link_reads_ahead_and_keeps_time() {
    let _one_at_a_time = webdriver::exclusive();
    let (proxy, pending) = Throttle::bind(Link::OFFICE);
    let (server, _cloud) = recorded_with(600, 10.0, |b| b.allowed_origins([proxy.origin()]));
    pending.forward_to(server.port());
    let url = proxy.url(&server.url());
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let _id = new_client(&server, &[]);
        wait_for_step(&tab, 0).await;
        server.play(None, None).expect("play");
        // Warm up for a second, then measure ten.
        tab.wait_until("playback to start", CLOUD_X, |x| x.as_f64() >= Some(8.0))
            .await;
        let start = stats(&tab).await;
        let started = std::time::Instant::now();
        tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        let end = stats(&tab).await;
        let secs = started.elapsed().as_secs_f64();
        let shown = end["stepsApplied"].as_u64().unwrap_or(0) - start["stepsApplied"].as_u64().unwrap_or(0);
        let stalls = end["stalls"].as_u64().unwrap_or(0) - start["stalls"].as_u64().unwrap_or(0);
        let buffered = tab.eval(BUFFERED, Vec::new()).await;
        let step = end["step"].as_u64().unwrap_or(0);
        // Read-ahead holds blocks past the playhead: the bar says so.
        let ahead = buffered.as_str().is_some_and(|ranges| {
            ranges.split(',').any(|r| {
                r.split_once("..")
                    .and_then(|(_, b)| b.parse::<u64>().ok())
                    .is_some_and(|b| b > step + 32)
            })
        });
        assert!(ahead, "nothing buffered past step {step} + one block: {buffered}");
        println!(
            "MEASURED playback over 100 Mbit/s, 20 ms, 600 light steps at 10 fps: {shown} steps shown in {secs:.1} s \
             ({:.2} a second, {:.1} due), {stalls} stalls; buffered {buffered}",
            shown as f64 / secs,
            10.0 * secs,
        );
        let dir = crate::browser::screenshot_dir();
        std::fs::create_dir_all(&dir).expect("creating the screenshot dir");
        let png = tab.client.screenshot().await.expect("a screenshot");
        std::fs::write(dir.join("buffered_ranges.png"), png).expect("saving");
        tab.close().await;
    });
}
