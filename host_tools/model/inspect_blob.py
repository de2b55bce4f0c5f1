"""`inspect`'s text report of profile.profile(): what a blob holds, needs and fits."""


def _kb(n):
    return f"{n / 1024:,.0f} KB"


def _board_lines(rows):
    if not rows:
        return ["boards:      none found under boards/"]
    lines = [f"{'board':<20} {'RAM needed / budget':<24} {'flash needed / budget':<24} latency (estimate)"]
    for r in rows:
        ram, flash = r["ram"], r["flash"]
        low, high = r["latency_range_ms_estimate"]
        lines.append(
            f"{r['board']:<20} "
            f"{('ok ' if ram['fits'] else 'NO ') + _kb(ram['needed']) + ' / ' + _kb(ram['budget']):<24} "
            f"{('ok ' if flash['fits'] else 'NO ') + _kb(flash['needed']) + ' / ' + _kb(flash['budget']):<24} "
            f"~{r['latency_ms_estimate']:.0f} ms ({low:.0f}-{high:.0f})")
    lines.append("RAM needed = model (if the board copies it to RAM) + arena + the board's app budget.")
    lines.append("Latencies are estimates, not measurements: a published figure for each chip, scaled by MACs:")
    lines.extend(f"  {r['board']}: {r['latency_basis']}" for r in rows)
    for r in rows:
        m = r.get("measured")
        if m:
            lines.append(
                f"Measured on {r['board']} (make bench, QEMU -icount shift=0, this model): per frame "
                f"{m['inference_instructions'] / 1e6:.1f} M instructions of inference, preprocessing "
                f"{m['preprocess_viper_instructions'] / 1e3:.0f} k (viper; portable "
                f"{m['preprocess_portable_instructions'] / 1e6:.1f} M), rest of the loop "
                f"{m['rest_of_loop_instructions'] / 1e3:.0f} k: the app's own work is "
                f"{100 * m['app_share_of_inference']:.1f}% of the inference; "
                f"~{m['estimate_ms_at_480mhz']:.0f} ms per frame at 480 MHz (estimate); heap peak "
                f"{_kb(m['heap_peak_bytes'])} with a {_kb(m['arena_used_bytes'])} arena; "
                f"{max(m['alloc_per_frame_bytes'] or [0])} bytes allocated per frame")
    return lines


def format_report(info):
    i, o = info["input"], info["output"]
    ops = ", ".join(f"{op['op']} x{op['count']}" for op in info["ops"])
    return "\n".join([
        f"blob:        {info['blob']} ({info['blob_bytes']} bytes, format v{info['format_version']}, crc32 {info['crc32']})",
        f"labels:      {', '.join(info['labels'])}",
        f"input:       {'x'.join(map(str, i['shape']))} int8, scale {i['scale']:g}, zero point {i['zero_point']}",
        f"output:      {o['classes']} int8, scale {o['scale']:g}, zero point {o['zero_point']}",
        f"model:       {info['model_bytes']} bytes",
        f"arena:       {info['arena_bytes']} bytes allocated by tflite-micro (measured now; blob records "
        f"{info['arena_bytes_recorded_in_blob']}); smallest that runs: {info['arena_bytes_min']} bytes",
        f"MACs:        {info['macs']:,} ({info['macs'] / 1e6:.2f} M; conv, depthwise conv, fully connected)",
        f"ops:         {ops}",
        "",
        *_board_lines(info["boards"]),
    ])
