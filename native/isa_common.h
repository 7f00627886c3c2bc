// Included first by every ISA variant, before any target pragma, so that the
// standard headers' inline functions are compiled for the baseline ISA only.
#pragma once
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define HR_X86 1
#else
#define HR_X86 0
#endif

// SGEMM blocking per variant (tile rows, tile vectors, k/m/n cache blocks).
#ifndef HR_AVX512_MR
#define HR_AVX512_MR 8
#endif
#ifndef HR_AVX512_NV
#define HR_AVX512_NV 2
#endif
#ifndef HR_AVX512_KC
#define HR_AVX512_KC 256
#endif
#ifndef HR_AVX512_MC
#define HR_AVX512_MC 256
#endif
#ifndef HR_AVX512_NC
#define HR_AVX512_NC 1024
#endif
