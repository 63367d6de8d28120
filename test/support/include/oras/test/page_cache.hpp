// Test helper: how much of a file the page cache holds.
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

namespace oras::test {

/// The share of the pages of [from, to) of the file at `p` that are in the page cache
/// (mincore). `from` must be a multiple of the page size.
inline double resident_share(const std::filesystem::path& p, std::uint64_t from, std::uint64_t to) {
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0) << p;
    const auto len = static_cast<std::size_t>(to - from);
    void* map = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(from));
    ::close(fd);
    EXPECT_NE(map, MAP_FAILED);
    if (map == MAP_FAILED) {
        return 1.0;
    }
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> in((len + page - 1) / page);
    EXPECT_EQ(::mincore(map, len, in.data()), 0);
    ::munmap(map, len);
    std::size_t n = 0;
    for (const auto c : in) {
        n += c & 1;
    }
    return static_cast<double>(n) / static_cast<double>(in.size());
}

}  // namespace oras::test
