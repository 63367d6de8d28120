#include <oras/test/secrets.hpp>

#include <oras/detail/base64.hpp>

#include <algorithm>
#include <mutex>

namespace oras::test {

namespace {

std::mutex& secrets_mutex() {
    static std::mutex m;
    return m;
}

std::vector<std::string>& secrets() {
    static std::vector<std::string> v;
    return v;
}

}  // namespace

void note_secret(std::string secret) {
    if (secret.size() < 8) {
        return;
    }
    std::lock_guard lock(secrets_mutex());
    auto& v = secrets();
    if (std::find(v.begin(), v.end(), secret) == v.end()) {
        v.push_back(std::move(secret));
    }
}

std::optional<std::string> find_secret(std::string_view text) {
    std::lock_guard lock(secrets_mutex());
    for (const auto& s : secrets()) {
        if (text.find(s) != std::string_view::npos) {
            return s;
        }
    }
    return std::nullopt;
}

}  // namespace oras::test
