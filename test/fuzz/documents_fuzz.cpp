// Documents the client reads from others: registry error bodies, token responses, tag and
// catalog lists, Docker's config.json, credential-helper output, annotation files. The first
// byte picks the parser. Messages built from untrusted text must stay one short line.
#include <oras/auth/docker_config.hpp>
#include <oras/error.hpp>
#include <oras/ops/push.hpp>

#include "auth/helper_protocol.hpp"
#include "auth/token_response.hpp"
#include "fuzz.hpp"
#include "registry/protocol.hpp"

#include <boost/url/parse.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace oras;
    if (size == 0) {
        return 0;
    }
    const auto input = fuzz::text(data + 1, size - 1);
    switch (data[0] % 7) {
        case 0: {
            const auto url = boost::urls::parse_uri("https://r.example/v2/a/manifests/v1").value();
            http::fields headers;
            headers.add("Content-Type", "application/json");
            const auto e =
                registry::detail::status_error("GET", url, 404, headers, input, "manifest v1");
            const std::string message = e.what();
            fuzz::require(message.find('\n') == std::string::npos, "an error is one line");
            fuzz::require(message.size() < 1024, "an error message is short");
            break;
        }
        case 1:
            if (auto t = auth::detail::parse_token_response(input, "https://auth.example/token")) {
                fuzz::require(!t->token.empty(), "a parsed token is never empty");
                for (const char c : t->token) {
                    fuzz::require(static_cast<unsigned char>(c) > 0x20
                                      && static_cast<unsigned char>(c) < 0x7f,
                                  "a token fits in a header");
                }
            }
            break;
        case 2:
            (void)registry::detail::parse_tag_list(input, "a");
            (void)registry::detail::parse_catalog(input);
            break;
        case 3:
            (void)auth::docker_config::parse(input);
            break;
        case 4: {
            auth::detail::helper_output out;
            const auto parts = fuzz::split(input, '\0', 2);
            out.out = std::string(parts[0]);
            out.err = std::string(parts[1]);
            out.status = static_cast<int>(input.size() % 3);
            if (auto c = auth::detail::parse_helper_get("fuzz", "https://r.example", out); !c) {
                fuzz::require(c.error().message.find('\n') == std::string::npos,
                              "a helper failure is one line");
            }
            // A helper that echoes store's input must not leak the secret into a message.
            if (auto r = auth::detail::check_helper_result("fuzz", "store", "https://r.example",
                                                           out, {"hunter2"});
                !r) {
                fuzz::require(r.error().message.find("hunter2") == std::string::npos,
                              "a helper failure never quotes a secret");
            }
            break;
        }
        case 5:
            (void)ops::parse_annotation_file(input, "annotations.json");
            break;
        default:
            (void)auth::detail::helper_server_url(input);
            (void)auth::detail::valid_helper_name(input);
            break;
    }
    return 0;
}
