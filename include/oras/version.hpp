// The library's version. CMake reads it from here, so this is the one place to change it.
#pragma once

#define ORAS_VERSION_STRING "0.1.0"

namespace oras {
inline constexpr const char* version = ORAS_VERSION_STRING;
}  // namespace oras
