// The kernels compiled for the avx512 instruction set (flags in CMakeLists.txt).
#define KNS isa_avx512
#include "veil/engine/kernels_impl.inc"
