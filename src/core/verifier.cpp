#include <oras/verifier.hpp>

#include <string>

namespace oras {

verifier::verifier(digest expected, std::int64_t expected_size)
    : expected_(std::move(expected)),
      expected_size_(expected_size),
      hasher_(expected_.empty() ? digest_algorithm::sha256 : expected_.algorithm()) {}

result<void> verifier::update(std::span<const std::byte> chunk) {
    if (!overrun_ && expected_size_ >= 0
        && static_cast<std::uint64_t>(expected_size_ - received_) < chunk.size()) {
        overrun_ = true;
    }
    if (overrun_) {
        return make_failure(errc::size_mismatch, "content of " + expected_.str()
                                                     + " is longer than the expected "
                                                     + std::to_string(expected_size_) + " bytes");
    }
    hasher_.update(chunk);
    received_ += static_cast<std::int64_t>(chunk.size());
    return {};
}

result<void> verifier::finish() {
    if (overrun_ || (expected_size_ >= 0 && received_ != expected_size_)) {
        return make_failure(errc::size_mismatch,
                            "content of " + expected_.str() + " has "
                                + (overrun_ ? "more than " + std::to_string(expected_size_)
                                            : std::to_string(received_))
                                + " bytes, expected " + std::to_string(expected_size_));
    }
    const digest actual = hasher_.finish();
    if (actual != expected_) {
        return make_failure(errc::digest_mismatch,
                            "content hashes to " + actual.str() + ", expected " + expected_.str());
    }
    return {};
}

}  // namespace oras
