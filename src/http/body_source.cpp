#include <oras/error.hpp>
#include <oras/http/body_source.hpp>
#include <oras/http/request.hpp>

#include "core/quote.hpp"

#include <filesystem>

namespace oras::http {

body_source body_source::from_string(std::string data) {
    return from_shared(std::make_shared<const std::string>(std::move(data)));
}

body_source body_source::from_shared(std::shared_ptr<const std::string> data) {
    body_source b;
    b.source_ = memory{std::move(data)};
    return b;
}

body_source body_source::from_file(std::filesystem::path path, std::uint64_t offset,
                                   std::uint64_t length) {
    body_source b;
    b.source_ = file_range{std::move(path), offset, length};
    return b;
}

body_source body_source::from_file(std::filesystem::path path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) {
        throw error(ec, "cannot read the size of " + oras::detail::quote(path.string()));
    }
    return from_file(std::move(path), 0, size);
}

body_source body_source::from_generator(generator next, std::optional<std::uint64_t> length,
                                        std::function<void()> rewind) {
    body_source b;
    b.source_ = stream{std::move(next), length, std::move(rewind)};
    return b;
}

std::optional<std::uint64_t> body_source::length() const noexcept {
    struct visitor {
        std::optional<std::uint64_t> operator()(std::monostate) const { return 0; }
        std::optional<std::uint64_t> operator()(const memory& m) const {
            return m.data ? m.data->size() : 0;
        }
        std::optional<std::uint64_t> operator()(const file_range& f) const { return f.length; }
        std::optional<std::uint64_t> operator()(const stream& s) const { return s.length; }
    };
    return std::visit(visitor{}, source_);
}

bool request::idempotent() const noexcept {
    return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE"
           || method == "OPTIONS";
}

}  // namespace oras::http
