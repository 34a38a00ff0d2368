// Host stand-in for Zephyr's atomic_t / atomic_cas (GCC builtins). Not Zephyr code.
#pragma once
typedef long atomic_t;
#define ATOMIC_INIT(i) (i)
inline bool atomic_cas(atomic_t* target, atomic_t old_value, atomic_t new_value) {
    return __atomic_compare_exchange_n(target, &old_value, new_value, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
