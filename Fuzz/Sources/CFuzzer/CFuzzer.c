// Declarations only (see include/CFuzzer.h); libFuzzer itself comes from `-sanitize=fuzzer`.
#include "CFuzzer.h"
