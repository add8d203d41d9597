use super::*;

const FRAME: usize = 960;
const RATE: usize = 48_000;

/// Speech stand-in: a 440 Hz tone, half a second on, half a second off, over steady white
/// noise. The pauses hold only the noise, so their energy measures what noise is left.
fn noisy_bursts(seconds: usize, tone_amplitude: f64, noise_amplitude: i32) -> Vec<i16> {
    let mut x = 0x1234_5678u32;
    (0..RATE * seconds)
        .map(|n| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let noise = if noise_amplitude == 0 {
                0
            } else {
                (x % (2 * noise_amplitude as u32 + 1)) as i32 - noise_amplitude
            };
            let tone = if (n / (RATE / 2)).is_multiple_of(2) {
                tone_amplitude * (2.0 * std::f64::consts::PI * 440.0 * n as f64 / RATE as f64).sin()
            } else {
                0.0
            };
            (tone as i32 + noise).clamp(-32768, 32767) as i16
        })
        .collect()
}

/// Feeds `input` frame by frame (with a silent speaker) and returns what the processor made.
fn process(p: &mut LiveProcessor, input: &[i16]) -> Vec<i16> {
    let silence = vec![0i16; FRAME];
    let mut out = Vec::with_capacity(input.len());
    for frame in input.chunks(FRAME) {
        let mut frame = frame.to_vec();
        p.process_render(&silence);
        p.process_capture(&mut frame);
        out.extend_from_slice(&frame);
    }
    out
}

#[cfg(feature = "aec")]
/// Mean energy of the samples in the tone's pauses (skipping their first 100 ms, where a
/// processor's tail of the tone may still ring).
fn pause_energy(x: &[i16]) -> f64 {
    let picked: Vec<f64> = x
        .iter()
        .enumerate()
        .filter(|(n, _)| (n / (RATE / 2)) % 2 == 1 && n % (RATE / 2) >= RATE / 10)
        .map(|(_, &s)| f64::from(s).powi(2))
        .collect();
    picked.iter().sum::<f64>() / picked.len() as f64
}

#[cfg(feature = "aec")]
/// Mean energy of the samples while the tone plays.
fn tone_energy(x: &[i16]) -> f64 {
    let picked: Vec<f64> = x
        .iter()
        .enumerate()
        .filter(|(n, _)| (n / (RATE / 2)).is_multiple_of(2) && n % (RATE / 2) >= RATE / 10)
        .map(|(_, &s)| f64::from(s).powi(2))
        .collect();
    picked.iter().sum::<f64>() / picked.len() as f64
}

#[cfg(feature = "aec")]
fn db(after: f64, before: f64) -> f64 {
    10.0 * (after / before.max(1e-9)).log10()
}

#[test]
fn the_switch_round_trips_every_combination() {
    for bits in 0..8u8 {
        let settings = from_bits(bits);
        assert_eq!(to_bits(settings), bits);
        let switch = StageSwitch::new(settings);
        assert_eq!(switch.get(), settings);
    }
}

#[test]
fn a_processor_takes_a_new_choice_before_its_next_frame() {
    let switch = StageSwitch::new(ProcessingSettings::off());
    let mut p = switch.processor();
    let input = noisy_bursts(1, 3000.0, 500);
    // All stages off: the audio is untouched.
    assert_eq!(process(&mut p, &input), input);
    let agc_only = ProcessingSettings {
        gain_control: true,
        ..ProcessingSettings::off()
    };
    switch.set(agc_only);
    process(&mut p, &input[..FRAME]);
    assert_eq!(p.stages(), agc_only);
    // Another handle to the same switch (the settings side) reaches it too.
    switch.clone().set(ProcessingSettings::off());
    assert_eq!(process(&mut p, &input), input);
    assert_eq!(p.stages(), ProcessingSettings::off());
}

#[cfg(feature = "aec")]
#[test]
fn noise_suppression_switched_on_mid_stream_removes_noise() {
    let switch = StageSwitch::new(ProcessingSettings::off());
    let mut p = switch.processor();
    let before = noisy_bursts(4, 6000.0, 1200);
    let out_before = process(&mut p, &before);
    assert_eq!(
        out_before, before,
        "with every stage off the audio is untouched"
    );

    switch.set(ProcessingSettings {
        noise_suppression: true,
        ..ProcessingSettings::off()
    });
    let after = noisy_bursts(6, 6000.0, 1200);
    let out_after = process(&mut p, &after);
    // The suppressor needs a moment to learn the noise floor: judge the last 3 s.
    let settled = &out_after[RATE * 3..];
    let noise_change = db(pause_energy(settled), pause_energy(&out_before));
    let tone_change = db(tone_energy(settled), tone_energy(&out_before));
    eprintln!("noise {noise_change:.1} dB, tone {tone_change:.1} dB after switching NS on");
    assert!(
        noise_change < -10.0,
        "noise suppression lowered the noise only {noise_change:.1} dB"
    );
    assert!(
        tone_change > -6.0,
        "the tone itself lost {tone_change:.1} dB"
    );

    // Off again: untouched at once.
    switch.set(ProcessingSettings::off());
    let again = noisy_bursts(1, 6000.0, 1200);
    assert_eq!(process(&mut p, &again), again);
}

#[cfg(feature = "aec")]
#[test]
fn gain_control_switched_on_mid_stream_raises_a_quiet_voice() {
    let switch = StageSwitch::new(ProcessingSettings::off());
    let mut p = switch.processor();
    // About -43 dBFS while the tone plays: a microphone set far too low.
    let quiet = noisy_bursts(3, 300.0, 0);
    let out_before = process(&mut p, &quiet);
    assert_eq!(out_before, quiet);

    switch.set(ProcessingSettings {
        gain_control: true,
        ..ProcessingSettings::off()
    });
    let out_after = process(&mut p, &noisy_bursts(8, 300.0, 0));
    let settled = &out_after[RATE * 5..];
    let rise = db(tone_energy(settled), tone_energy(&out_before));
    eprintln!("level +{rise:.1} dB after switching AGC on");
    assert!(
        rise > 3.0,
        "gain control raised the quiet tone only {rise:.1} dB"
    );
}
