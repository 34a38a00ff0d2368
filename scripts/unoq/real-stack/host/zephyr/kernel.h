// Host stand-in for the few Zephyr kernel services Arduino_RouterBridge uses
// (k_mutex, k_thread, k_msleep, k_yield), on std::thread and std::recursive_timed_mutex.
// Written for rpc-analyze's real-stack captures; not Zephyr code.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

struct k_timeout_t { long long ms; };       // ms < 0: forever
#define K_FOREVER (k_timeout_t{-1})
#define K_NO_WAIT (k_timeout_t{0})
#define K_MSEC(x) (k_timeout_t{(long long)(x)})

// Zephyr mutexes are recursive (the owner may lock again).
struct k_mutex { std::recursive_timed_mutex m; };

inline int k_mutex_init(k_mutex*) { return 0; }
inline int k_mutex_lock(k_mutex* mu, k_timeout_t t) {
    if (t.ms < 0) { mu->m.lock(); return 0; }
    if (t.ms == 0) return mu->m.try_lock() ? 0 : -EBUSY;
    return mu->m.try_lock_for(std::chrono::milliseconds(t.ms)) ? 0 : -EAGAIN;
}
inline int k_mutex_unlock(k_mutex* mu) { mu->m.unlock(); return 0; }

inline int32_t k_msleep(int32_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); return 0; }
// A plain yield would spin a host core at 100%; a short sleep keeps the 2-core host usable.
inline void k_yield() { std::this_thread::sleep_for(std::chrono::microseconds(50)); }

typedef void (*k_thread_entry_t)(void*, void*, void*);
struct k_thread { std::thread th; };
typedef k_thread* k_tid_t;
typedef char k_thread_stack_t;

inline k_thread_stack_t* k_thread_stack_alloc(size_t size, int) { return static_cast<k_thread_stack_t*>(std::malloc(size)); }
inline k_tid_t k_thread_create(k_thread* t, k_thread_stack_t*, size_t, k_thread_entry_t entry,
                               void* p1, void* p2, void* p3, int /*prio*/, unsigned /*opts*/, k_timeout_t) {
    t->th = std::thread([=] { entry(p1, p2, p3); });
    t->th.detach();
    return t;
}
inline int k_thread_name_set(k_tid_t, const char*) { return 0; }
