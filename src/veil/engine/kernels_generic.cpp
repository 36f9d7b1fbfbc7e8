// The kernels compiled for the generic instruction set (flags in CMakeLists.txt).
#define KNS isa_generic
#include "veil/engine/kernels_impl.inc"
