// Which sanitizer this translation unit is compiled with, the same test for GCC and Clang:
// WEFT_TSAN (ThreadSanitizer) and WEFT_ASAN (AddressSanitizer) are 1 or undefined. The runtime
// and the inline paths of the public headers decide on these, so they always agree.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define WEFT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT_TSAN 1
#endif
#endif

#if defined(__SANITIZE_ADDRESS__)
#define WEFT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_ASAN 1
#endif
#endif
