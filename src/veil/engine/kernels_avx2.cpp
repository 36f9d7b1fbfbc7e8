// The kernels compiled for the avx2 instruction set (flags in CMakeLists.txt).
#define KNS isa_avx2
#include "veil/engine/kernels_impl.inc"
