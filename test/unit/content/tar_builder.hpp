// Test helper: tars built header by header, so that a test can say anything a hostile archive
// could.
#pragma once

#include "content/gzip.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <span>
#include <string>

namespace oras::test {

/// Raw ustar headers (mode 0644, mtime 0) with bodies padded to 512 bytes; `tar()` ends with
/// the two zero blocks.
class tar_builder {
  public:
    tar_builder& entry(const std::string& name, char type, const std::string& body = {},
                       const std::string& link = {}, const std::string& prefix = {},
                       const char* magic =
                           "ustar\0"
                           "00") {
        std::array<char, 512> h{};
        std::memcpy(h.data(), name.data(), std::min<std::size_t>(name.size(), 100));
        std::snprintf(h.data() + 100, 8, "%07o", 0644);
        std::snprintf(h.data() + 108, 8, "%07o", 0);
        std::snprintf(h.data() + 116, 8, "%07o", 0);
        std::snprintf(h.data() + 124, 12, "%011zo", body.size());
        std::snprintf(h.data() + 136, 12, "%011o", 0);
        h[156] = type;
        std::memcpy(h.data() + 157, link.data(), std::min<std::size_t>(link.size(), 100));
        std::memcpy(h.data() + 257, magic, 8);
        std::memcpy(h.data() + 345, prefix.data(), std::min<std::size_t>(prefix.size(), 155));
        std::memset(h.data() + 148, ' ', 8);
        unsigned sum = 0;
        for (const char c : h) {
            sum += static_cast<unsigned char>(c);
        }
        std::snprintf(h.data() + 148, 8, "%06o", sum);
        data_.append(h.data(), h.size());
        data_ += body;
        data_.append((512 - body.size() % 512) % 512, '\0');
        return *this;
    }
    tar_builder& pax(const std::map<std::string, std::string>& records) {
        std::string body;
        for (const auto& [k, v] : records) {
            const auto rest = " " + k + "=" + v + "\n";
            auto len = rest.size() + 1;
            while (std::to_string(len).size() + rest.size() != len) {
                ++len;
            }
            body += std::to_string(len) + rest;
        }
        return entry("PaxHeader", 'x', body);
    }
    std::string tar() const { return data_ + std::string(1024, '\0'); }
    std::string tgz() const {
        const auto t = tar();
        const auto z = oras::content::detail::gzip_encoder::compress(std::as_bytes(std::span(t)));
        return std::string(reinterpret_cast<const char*>(z.data()), z.size());
    }

  private:
    std::string data_;
};

}  // namespace oras::test
