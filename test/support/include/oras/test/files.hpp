// File trees and test data for tests that push and pull: snapshots to compare trees (symlinks
// by target), deterministic pseudo-random bytes, and the oras error code a call throws.
#pragma once

#include <oras/descriptor.hpp>
#include <oras/digest.hpp>
#include <oras/errc.hpp>
#include <oras/error.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace oras::test {

/// A file tree: relative path -> "dir", "file:<bytes>", "link:<target>" or "other".
using tree = std::map<std::string, std::string>;

/// The tree under `root` (empty if it is not a directory), leaving out `excluded` paths and
/// everything under them.
inline tree snapshot(const std::filesystem::path& root,
                     const std::vector<std::string>& excluded = {}) {
    namespace fs = std::filesystem;
    tree t;
    std::error_code ec;
    if (!fs::is_directory(fs::symlink_status(root, ec))) {
        return t;
    }
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
         ++it) {
        const auto rel = it->path().lexically_relative(root).generic_string();
        const bool skip = std::any_of(excluded.begin(), excluded.end(), [&](const auto& x) {
            return rel == x || rel.starts_with(x + "/");
        });
        if (skip) {
            if (it->is_directory(ec) && !it->is_symlink(ec)) {
                it.disable_recursion_pending();
            }
            continue;
        }
        const auto st = it->symlink_status();
        if (fs::is_symlink(st)) {
            t[rel] = "link:" + fs::read_symlink(it->path()).string();
        } else if (fs::is_directory(st)) {
            t[rel] = "dir";
        } else if (fs::is_regular_file(st)) {
            std::ifstream in(it->path(), std::ios::binary);
            std::ostringstream bytes;
            bytes << in.rdbuf();
            t[rel] = "file:" + bytes.str();
        } else {
            t[rel] = "other";
        }
    }
    return t;
}

/// The entries of `t` at or under one of `roots`.
inline tree subset(const tree& t, const std::vector<std::string>& roots) {
    tree out;
    for (const auto& [k, v] : t) {
        for (const auto& r : roots) {
            if (k == r || k.starts_with(r + "/")) {
                out[k] = v;
            }
        }
    }
    return out;
}

/// `n` pseudo-random bytes (xorshift), the same for the same seed.
/// Byte `i` of a file that may be written in pieces at any offset: not a repeating page, so a
/// block written twice or out of place shows.
inline std::byte byte_at(std::uint64_t i) {
    return static_cast<std::byte>((i * 2654435761u) >> 13);
}

inline std::string pattern(std::size_t n, unsigned seed) {
    std::string s(n, '\0');
    std::uint32_t x = seed * 2654435761u + 1;
    for (auto& c : s) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>(x);
    }
    return s;
}

/// The `oras::errc` that `f()` throws; a test failure if it throws something else or nothing.
template <class F>
oras::errc error_of(F&& f) {
    try {
        f();
    } catch (const oras::error& e) {
        if (e.code().category() != oras::oras_category()) {
            ADD_FAILURE() << "not an oras::errc but " << e.code().category().name() << ": "
                          << e.what();
            return oras::errc::unexpected_status;
        }
        return static_cast<oras::errc>(e.code().value());
    } catch (const std::exception& e) {
        ADD_FAILURE() << "not an oras::error: " << e.what();
        return oras::errc::unexpected_status;
    }
    ADD_FAILURE() << "no error";
    return oras::errc::unexpected_status;
}

/// The descriptor of `data` (SHA-256) with `media_type`.
inline oras::descriptor describe(std::string_view data,
                                 std::string media_type = "application/octet-stream") {
    oras::descriptor d;
    d.media_type = std::move(media_type);
    d.digest = oras::digest::of(data);
    d.size = static_cast<std::int64_t>(data.size());
    return d;
}

}  // namespace oras::test
