// `--format go-template`: any template over any JSON document is rendered or refused with an
// oras::error, never a crash, a hang or unbounded memory; what the parse-time check accepts never
// fails later for a reason the parser should have found.
#include "cli/display/go_template.hpp"
#include "fuzz.hpp"

#include <oras/error.hpp>

#include <boost/json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The template, then (after a NUL) the document; a document that is no JSON: a fixed one.
    const auto parts = oras::fuzz::split(oras::fuzz::text(data, size), '\0', 2);
    boost::system::error_code ec;
    auto document = boost::json::parse(parts[1], ec);
    if (ec) {
        document = boost::json::parse(
            R"({"digest":"sha256:abc","size":1048576,"tags":["a","b"],"m":{"k":null},"n":null})");
    }
    bool parsed = false;
    try {
        oras::cli::check_go_template(parts[0]);
        parsed = true;
        (void)oras::cli::render_go_template(parts[0], document);
    } catch (const oras::error& e) {
        const std::string what = e.what();
        oras::fuzz::require(what.starts_with("template: "), "a refusal says it is the template's");
        // "template: L:C: function "NAME" not defined", only ever from the parser.
        const auto after_position = what.find(": ", std::string_view("template: ").size());
        oras::fuzz::require(!parsed || after_position == std::string::npos
                                || what.compare(after_position, 12, ": function \"") != 0
                                || what.find("\" not defined") == std::string::npos,
                            "an unknown function is found when the template is parsed");
    }
    return 0;
}
