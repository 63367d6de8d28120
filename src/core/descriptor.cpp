#include <oras/descriptor.hpp>
#include <oras/detail/base64.hpp>
#include <oras/media_type.hpp>

#include "core/descriptor_json.hpp"
#include "core/quote.hpp"

namespace oras {

std::string_view descriptor::annotation(std::string_view key) const noexcept {
    const auto it = annotations.find(key);
    return it == annotations.end() ? std::string_view{} : std::string_view(it->second);
}

descriptor empty_json_descriptor() {
    descriptor d;
    d.media_type = std::string(media_type::empty_json);
    d.digest = digest::of(std::string_view("{}"));
    d.size = 2;
    d.data = detail::base64_encode("{}");
    return d;
}

namespace detail {
namespace {

result<std::vector<std::string>> read_strings(const json_reader& rd, simdjson::dom::element e,
                                              std::string_view path) {
    auto arr = rd.array(e, path);
    if (!arr) {
        return arr.error();
    }
    std::vector<std::string> out;
    std::size_t i = 0;
    for (auto item : *arr) {
        auto s = rd.string(item, element_path(path, i++));
        if (!s) {
            return s.error();
        }
        out.push_back(std::move(*s));
    }
    return out;
}

result<platform> read_platform(const json_reader& rd, simdjson::dom::element e,
                               std::string_view path) {
    auto obj = rd.object(e, path);
    if (!obj) {
        return obj.error();
    }
    platform p;
    bool has_arch = false;
    bool has_os = false;
    for (auto field : *obj) {
        const auto member = member_path(path, field.key);
        result<void> ok;
        if (field.key == "architecture" || field.key == "os" || field.key == "os.version"
            || field.key == "variant") {
            auto s = rd.string(field.value, member);
            if (!s) {
                return s.error();
            }
            if (field.key == "architecture") {
                p.architecture = std::move(*s), has_arch = true;
            } else if (field.key == "os") {
                p.os = std::move(*s), has_os = true;
            } else if (field.key == "os.version") {
                p.os_version = std::move(*s);
            } else {
                p.variant = std::move(*s);
            }
        } else if (field.key == "os.features") {
            auto v = read_strings(rd, field.value, member);
            if (!v) {
                return v.error();
            }
            p.os_features = std::move(*v);
        }
    }
    if (!has_arch) {
        return rd.missing(member_path(path, "architecture"));
    }
    if (!has_os) {
        return rd.missing(member_path(path, "os"));
    }
    return p;
}

// Embedded data must be exactly the content the descriptor names.
result<void> check_data(const json_reader& rd, const descriptor& d, std::string_view path) {
    auto bytes = base64_decode(*d.data);
    if (!bytes) {
        return rd.fail("\"" + member_path(path, "data")
                       + "\" is not valid base64: " + bytes.error().message);
    }
    if (static_cast<std::int64_t>(bytes->size()) != d.size) {
        return rd.fail("\"" + member_path(path, "data") + "\" holds "
                       + std::to_string(bytes->size()) + " bytes but size is "
                       + std::to_string(d.size));
    }
    if (digest::of(*bytes, d.digest.algorithm()) != d.digest) {
        return rd.fail("\"" + member_path(path, "data") + "\" does not match digest "
                       + d.digest.str());
    }
    return {};
}

}  // namespace

result<std::string> read_media_type(const json_reader& rd, simdjson::dom::element e,
                                    std::string_view path) {
    auto s = rd.string(e, path);
    if (!s) {
        return s.error();
    }
    if (!media_type::is_valid(*s)) {
        return rd.fail("\"" + std::string(path) + "\" is not a valid media type: " + quote(*s));
    }
    return s;
}

result<void> read_schema_version(const json_reader& rd, simdjson::dom::element e) {
    auto v = rd.integer(e, "schemaVersion");
    if (!v) {
        return v.error();
    }
    if (*v != 2) {
        return rd.fail("schemaVersion is " + std::to_string(*v) + ", expected 2");
    }
    return {};
}

result<annotations> read_annotations(const json_reader& rd, simdjson::dom::element e,
                                     std::string_view path) {
    auto obj = rd.object(e, path);
    if (!obj) {
        return obj.error();
    }
    annotations out;
    for (auto field : *obj) {
        auto s = rd.string(field.value, member_path(path, field.key));
        if (!s) {
            return s.error();
        }
        out.emplace(std::string(field.key), std::move(*s));
    }
    return out;
}

result<descriptor> read_descriptor(const json_reader& rd, simdjson::dom::element e,
                                   std::string_view path) {
    auto obj = rd.object(e, path);
    if (!obj) {
        return obj.error();
    }
    descriptor d;
    bool has_media_type = false;
    bool has_digest = false;
    bool has_size = false;
    for (auto field : *obj) {
        const auto member = member_path(path, field.key);
        if (field.key == "mediaType") {
            auto s = read_media_type(rd, field.value, member);
            if (!s) {
                return s.error();
            }
            d.media_type = std::move(*s), has_media_type = true;
        } else if (field.key == "digest") {
            auto s = rd.string(field.value, member);
            if (!s) {
                return s.error();
            }
            auto dg = digest::parse(*s);
            if (!dg) {
                auto f = rd.fail("\"" + member + "\": " + dg.error().message);
                if (dg.error() == errc::unsupported_digest_algorithm) {
                    f.code = dg.error().code;
                }
                return f;
            }
            d.digest = std::move(*dg), has_digest = true;
        } else if (field.key == "size") {
            auto n = rd.integer(field.value, member);
            if (!n) {
                return n.error();
            }
            if (*n < 0) {
                return rd.fail("\"" + member + "\" is negative");
            }
            d.size = *n, has_size = true;
        } else if (field.key == "urls") {
            auto v = read_strings(rd, field.value, member);
            if (!v) {
                return v.error();
            }
            d.urls = std::move(*v);
        } else if (field.key == "annotations") {
            auto a = read_annotations(rd, field.value, member);
            if (!a) {
                return a.error();
            }
            d.annotations = std::move(*a);
        } else if (field.key == "data") {
            auto s = rd.string(field.value, member);
            if (!s) {
                return s.error();
            }
            d.data = std::move(*s);
        } else if (field.key == "platform") {
            auto p = read_platform(rd, field.value, member);
            if (!p) {
                return p.error();
            }
            d.platform = std::move(*p);
        } else if (field.key == "artifactType") {
            auto s = read_media_type(rd, field.value, member);
            if (!s) {
                return s.error();
            }
            d.artifact_type = std::move(*s);
        }
    }
    if (!has_media_type) {
        return rd.missing(member_path(path, "mediaType"));
    }
    if (!has_digest) {
        return rd.missing(member_path(path, "digest"));
    }
    if (!has_size) {
        return rd.missing(member_path(path, "size"));
    }
    if (d.data) {
        if (auto ok = check_data(rd, d, path); !ok) {
            return ok.error();
        }
    }
    return d;
}

void write_annotations(json_writer& w, const annotations& a) {
    if (a.empty()) {
        return;
    }
    w.key("annotations");
    w.begin_object();
    for (const auto& [k, v] : a) {
        w.key(k);
        w.value(v);
    }
    w.end_object();
}

void write_descriptor(json_writer& w, const descriptor& d) {
    w.begin_object();
    w.key("mediaType");
    w.value(d.media_type);
    w.key("digest");
    w.value(d.digest.str());
    w.key("size");
    w.value(d.size);
    if (!d.urls.empty()) {
        w.key("urls");
        w.begin_array();
        for (const auto& u : d.urls) {
            w.value(u);
        }
        w.end_array();
    }
    write_annotations(w, d.annotations);
    if (d.data) {
        w.key("data");
        w.value(*d.data);
    }
    if (d.platform) {
        w.key("platform");
        write_platform(w, *d.platform);
    }
    w.optional("artifactType", d.artifact_type);
    w.end_object();
}

void write_platform(json_writer& w, const platform& p) {
    w.begin_object();
    w.key("architecture");
    w.value(p.architecture);
    w.key("os");
    w.value(p.os);
    w.optional("os.version", p.os_version);
    if (!p.os_features.empty()) {
        w.key("os.features");
        w.begin_array();
        for (const auto& f : p.os_features) {
            w.value(f);
        }
        w.end_array();
    }
    w.optional("variant", p.variant);
    w.end_object();
}

}  // namespace detail
}  // namespace oras

namespace oras::detail {

result<std::vector<descriptor>> read_descriptors(const json_reader& rd, simdjson::dom::element e,
                                                 std::string_view path) {
    auto arr = rd.array(e, path);
    if (!arr) {
        return arr.error();
    }
    std::vector<descriptor> out;
    out.reserve(arr->size());
    std::size_t i = 0;
    for (auto item : *arr) {
        auto d = read_descriptor(rd, item, element_path(path, i++));
        if (!d) {
            return d.error();
        }
        out.push_back(std::move(*d));
    }
    return out;
}

}  // namespace oras::detail
