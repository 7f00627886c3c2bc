{
  "targets": [
    {
      "target_name": "hyperrl_native",
      "sources": [
        "native/binding.cc",
        "native/pool.cc",
        "native/isa_generic.cc",
        "native/isa_avx2.cc",
        "native/isa_avx512.cc"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags": ["-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=fast", "-fno-strict-aliasing"],
      "cflags_cc": ["-O3", "-std=gnu++17", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=fast"],
      "cflags!": ["-O2"],
      "cflags_cc!": ["-O2"],
      "xcode_settings": {
        "GCC_OPTIMIZATION_LEVEL": "3",
        "CLANG_CXX_LANGUAGE_STANDARD": "gnu++17",
        "OTHER_CFLAGS": ["-fno-math-errno", "-fno-trapping-math", "-ffp-contract=fast"]
      }
    }
  ]
}
