// Helpers shared by the benchmarks: CPU time of processes, fast pseudo-random data.
#pragma once

#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

namespace oras::bench {

inline double seconds(const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

/// utime + stime of another process, from /proc/<pid>/stat (fields 14 and 15, in clock ticks).
inline double process_cpu(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close == std::string::npos) {
        return 0;
    }
    // After ")": state is field 3, so utime (14) is the 12th token and stime the 13th.
    std::vector<std::string> fields;
    std::size_t p = close + 2;
    while (p < stat.size() && fields.size() < 13) {
        const auto e = stat.find(' ', p);
        fields.push_back(stat.substr(p, e - p));
        p = e == std::string::npos ? stat.size() : e + 1;
    }
    if (fields.size() < 13) {
        return 0;
    }
    const auto ticks =
        std::strtod(fields[11].c_str(), nullptr) + std::strtod(fields[12].c_str(), nullptr);
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// xorshift64: fast, incompressible bytes, the same for the same seed.
template <class Byte>
void fill(std::span<Byte> out, std::uint64_t& x) {
    static_assert(sizeof(Byte) == 1);
    std::size_t i = 0;
    for (; i + 8 <= out.size(); i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::memcpy(out.data() + i, &x, 8);
    }
    for (; i < out.size(); ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out[i] = static_cast<Byte>(x);
    }
}

}  // namespace oras::bench
