"""Checks recordings by content: per-channel level and the strength of a
frequency (Goertzel), so tests never judge audio by file size."""

import math
import struct
import wave


def read_channels(path):
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2, "recordings are 16-bit"
        rate, channels, n = w.getframerate(), w.getnchannels(), w.getnframes()
        raw = w.readframes(n)
    samples = struct.unpack(f"<{len(raw) // 2}h", raw)
    return rate, [samples[c::channels] for c in range(channels)]


def rms(samples):
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


def _goertzel(samples, rate, freq):
    """The Goertzel filter's output power at `freq`."""
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
    return s1 * s1 + s2 * s2 - k * s1 * s2


def goertzel_power(samples, rate, freq):
    """Relative power at `freq` (normalized by the signal energy)."""
    if not samples:
        return 0.0
    energy = sum(x * x for x in samples) or 1.0
    return _goertzel(samples, rate, freq) / (energy * len(samples) / 2)


def tone_amplitude(samples, rate, freq):
    """The amplitude of the `freq` component, in sample units."""
    if not samples:
        return 0.0
    return 2 * math.sqrt(max(_goertzel(samples, rate, freq), 0.0)) / len(samples)
