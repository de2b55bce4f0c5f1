// Serial console of the project's qemu_m7 firmware: the CMSDK UART, polled, with a small
// receive ring so that the VM hook can watch for Ctrl-C while the app runs.
#include "py/mphal.h"
#include "py/runtime.h"
#include "py/stream.h"
#include "shared/runtime/interrupt_char.h"
#include "uart.h"

uintptr_t ticks_ms(void);

#define RX_RING_BYTES (256)
static uint8_t rx_ring[RX_RING_BYTES];
static volatile unsigned int rx_head, rx_tail;   // head: next write, tail: next read

void m7_uart_poll(void) {
    while (uart_rx_any() && (rx_head - rx_tail) < RX_RING_BYTES) {
        int c = uart_rx_chr();
        if (c == mp_interrupt_char) {
            mp_sched_keyboard_interrupt();
            continue;
        }
        rx_ring[rx_head++ % RX_RING_BYTES] = (uint8_t)c;
    }
}

uintptr_t mp_hal_stdio_poll(uintptr_t poll_flags) {
    uintptr_t ret = 0;
    if (poll_flags & MP_STREAM_POLL_RD) {
        m7_uart_poll();
        if (rx_head != rx_tail) {
            ret |= MP_STREAM_POLL_RD;
        }
    }
    if (poll_flags & MP_STREAM_POLL_WR) {
        ret |= MP_STREAM_POLL_WR;
    }
    return ret;
}

int mp_hal_stdin_rx_chr(void) {
    for (;;) {
        if (rx_head != rx_tail) {
            return rx_ring[rx_tail++ % RX_RING_BYTES];
        }
        if (uart_rx_any()) {
            return uart_rx_chr();
        }
        mp_handle_pending(true);
    }
}

mp_uint_t mp_hal_stdout_tx_strn(const char *str, size_t len) {
    uart_tx_strn(str, len);
    return len;
}

mp_uint_t mp_hal_ticks_ms(void) {
    return ticks_ms();
}

// Microseconds from the millisecond count (SysTick interrupt) plus SysTick's down-counter.
// Under QEMU the counter can show a reload before the interrupt has counted the millisecond,
// so the sum can step back by up to 1 ms; never returning less than the last value keeps
// time monotonic (delays and ticks_diff stay right). Under -icount shift=0 one microsecond
// is 1000 instructions.
#define SYSTICK_RVR (*(volatile uint32_t *)0xE000E014)
#define SYSTICK_CVR (*(volatile uint32_t *)0xE000E018)
#define SYSTICK_HZ  (25000000u)
static uint32_t last_us;
mp_uint_t mp_hal_ticks_us(void) {
    uint32_t ms, cvr;
    do {
        ms = ticks_ms();
        cvr = SYSTICK_CVR;
    } while (ms != ticks_ms());
    uint32_t us = ms * 1000 + (SYSTICK_RVR - cvr) / (SYSTICK_HZ / 1000000u);
    if ((int32_t)(us - last_us) < 0 && (int32_t)(last_us - us) <= 1000) {
        us = last_us;
    }
    last_us = us;
    return us;
}

mp_uint_t mp_hal_ticks_cpu(void) {
    return 0;
}

// Waits at least ms milliseconds, watching the UART (Ctrl-C) and pending exceptions.
void mp_hal_delay_ms(mp_uint_t ms) {
    mp_uint_t start = mp_hal_ticks_us();
    do {
        m7_uart_poll();
        mp_handle_pending(true);
    } while (mp_hal_ticks_us() - start < ms * 1000);
}

void mp_hal_delay_us(mp_uint_t us) {
    mp_uint_t start = mp_hal_ticks_us();
    while (mp_hal_ticks_us() - start < us) {
    }
}

// Not random: a fixed linear congruential sequence, like the stock qemu port's.
static uint32_t random_state;
void mp_hal_get_random(size_t n, uint8_t *buf) {
    for (size_t i = 0; i < n; ++i) {
        random_state = random_state * 1664525 + 1013904223;
        buf[i] = random_state >> 24;
    }
}

// No real-time clock: files get the epoch as their modification time.
uint64_t mp_hal_time_ns(void) {
    return 0;
}
