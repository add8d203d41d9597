// The call-waiting tone: two short 440 Hz beeps made with WebAudio, so no audio file ships and
// the ringtone path in Rust is not involved. Failing audio (no device, autoplay policy) is silent.

type AudioContextCtor = new () => AudioContext;

export function playWaitingTone(): void {
  const Ctor = (window as unknown as { AudioContext?: AudioContextCtor }).AudioContext;
  if (!Ctor) return;
  try {
    const context = new Ctor();
    const start = context.currentTime + 0.05;
    for (const offset of [0, 0.4]) {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.frequency.value = 440;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.2);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.22);
    }
    window.setTimeout(() => void context.close(), 1200);
  } catch {
    // No audio output available; the visual call list still shows the second call.
  }
}
