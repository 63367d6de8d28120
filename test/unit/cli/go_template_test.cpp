// `--format go-template`: Go's text/template over a command's JSON, as Go and sprig print it.
// Expected outputs are what `oras` (Go 1.22, sprig v3) prints for the same template and data.
#include "cli/display/go_template.hpp"

#include <oras/error.hpp>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <string>

namespace {

using oras::cli::render_go_template;

const char* const push_json = R"({
  "reference": "localhost:5000/hello@sha256:abc",
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "digest": "sha256:abc",
  "size": 1048576,
  "annotations": {"org.opencontainers.image.created": "2026-12-07T00:00:00Z", "a<b": "x&y"},
  "artifactType": "",
  "referenceAsTags": ["localhost:5000/hello:v1", "localhost:5000/hello:latest"],
  "layers": [
    {"digest": "sha256:l1", "size": 5, "annotations": {"org.opencontainers.image.title": "a.txt"}},
    {"digest": "sha256:l2", "size": 7340032}
  ],
  "empty": [],
  "nothing": null,
  "small": 0.0001,
  "tiny": 0.00001,
  "flag": true
})";

std::string render(const std::string& t, const char* data = push_json) {
    return render_go_template(t, boost::json::parse(data));
}

std::string error_of(const std::string& t, const char* data = push_json) {
    try {
        render(t, data);
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), oras::errc::invalid_argument);
        return e.what();
    }
    ADD_FAILURE() << "no error for " << t;
    return {};
}

TEST(go_template, fields_and_go_printing_of_decoded_json) {
    EXPECT_EQ(render("{{.digest}}"), "sha256:abc");
    EXPECT_EQ(render("{{ .digest }}\n"), "sha256:abc\n");
    EXPECT_EQ(render("{{.reference}}, {{.mediaType}}"),
              "localhost:5000/hello@sha256:abc, application/vnd.oci.image.manifest.v1+json");
    // Numbers are float64: Go's %v.
    EXPECT_EQ(render("{{.size}}"), "1.048576e+06");
    EXPECT_EQ(render("{{(index .layers 0).size}}"), "5");
    EXPECT_EQ(render("{{(index .layers 1).size}}"), "7.340032e+06");
    EXPECT_EQ(render("{{.small}} {{.tiny}}"), "0.0001 1e-05");
    EXPECT_EQ(render("{{.referenceAsTags}}"),
              "[localhost:5000/hello:v1 localhost:5000/hello:latest]");
    EXPECT_EQ(render("{{.annotations}}"),
              "map[a<b:x&y org.opencontainers.image.created:2026-12-07T00:00:00Z]");
    EXPECT_EQ(render("{{.empty}}|{{.nothing}}|{{.missing}}|{{.flag}}"),
              "[]|<no value>|<no value>|true");
    // No value goes on through fields; to a function it is nil, as in Go.
    EXPECT_EQ(render("{{.missing.deeper}}|{{index .annotations \"nope\"}}|{{first .empty}}"),
              "<no value>|<no value>|<no value>");
    EXPECT_EQ(render("{{print .missing}}|{{toString .nothing}}|{{join \",\" .missing}}|"
                     "{{printf \"%v\" .nothing}}|{{toJson .missing}}"),
              "<nil>|<nil>||<nil>|null");
    EXPECT_EQ(render("{{range .a}}{{.}},{{end}} {{.a}} {{join \"-\" .a}}", R"({"a":[null,"x"]})"),
              "<no value>,x, [<nil> x] x");
    EXPECT_EQ(render("{{(first .layers).digest}}"), "sha256:l1");
    EXPECT_EQ(render("{{(last .referenceAsTags)}}"), "localhost:5000/hello:latest");
    EXPECT_EQ(render(R"({{index .annotations "org.opencontainers.image.created"}})"),
              "2026-12-07T00:00:00Z");
    EXPECT_EQ(render("{{$}}", R"({"a":1})"), "map[a:1]");
    EXPECT_EQ(render("plain text"), "plain text");
}

TEST(go_template, json_functions_as_sprig) {
    EXPECT_EQ(
        render("{{toJson .annotations}}"),
        R"({"a\u003cb":"x\u0026y","org.opencontainers.image.created":"2026-12-07T00:00:00Z"})");
    EXPECT_EQ(render("{{toRawJson .annotations}}"),
              R"({"a<b":"x&y","org.opencontainers.image.created":"2026-12-07T00:00:00Z"})");
    EXPECT_EQ(
        render("{{toJson .size}} {{toJson .layers}}"),
        R"(1048576 [{"annotations":{"org.opencontainers.image.title":"a.txt"},"digest":"sha256:l1","size":5},{"digest":"sha256:l2","size":7340032}])");
    EXPECT_EQ(render("{{ toPrettyJson (index .layers 0) }}"),
              "{\n  \"annotations\": {\n    \"org.opencontainers.image.title\": \"a.txt\"\n  },\n"
              "  \"digest\": \"sha256:l1\",\n  \"size\": 5\n}");
    EXPECT_EQ(render("{{toJson .empty}} {{toPrettyJson .empty}} {{toJson .nothing}}"),
              "[] [] null");
    EXPECT_EQ(render("{{toJson .tiny}} {{toJson 1e-07}}"), "0.00001 1e-7");
}

TEST(go_template, control_structures_variables_and_trimming) {
    EXPECT_EQ(render("{{range .layers}}{{if index .annotations \"org.opencontainers.image.title\"}}"
                     "{{index .annotations \"org.opencontainers.image.title\"}}{{end}}{{end}}",
                     R"({"layers":[{"annotations":{"org.opencontainers.image.title":"a.txt"}},
                                   {"annotations":{}}]})"),
              "a.txt");
    EXPECT_EQ(render("{{range $i, $t := .referenceAsTags}}{{$i}}={{$t}};{{end}}"),
              "0=localhost:5000/hello:v1;1=localhost:5000/hello:latest;");
    EXPECT_EQ(render("{{range .empty}}x{{else}}none{{end}}"), "none");
    EXPECT_EQ(render("{{range .missing}}x{{else}}none{{end}}"), "none");
    EXPECT_EQ(render("{{range $k, $v := .annotations}}{{$k}} {{end}}"),
              "a<b org.opencontainers.image.created ");
    EXPECT_EQ(
        render(
            "{{range .layers}}{{if eq .digest \"sha256:l2\"}}{{break}}{{end}}{{.digest}}{{end}}"),
        "sha256:l1");
    EXPECT_EQ(render("{{range .layers}}{{if eq .size 5.0}}{{continue}}{{end}}{{.digest}}{{end}}"),
              "sha256:l2");
    EXPECT_EQ(render("{{if .empty}}a{{else if .flag}}b{{else}}c{{end}}"), "b");
    EXPECT_EQ(render("{{with .annotations}}{{len .}}{{end}}{{with .missing}}x{{else}}y{{end}}"),
              "2y");
    EXPECT_EQ(render("{{$d := .digest}}{{range .layers}}{{$d}}{{end}}"), "sha256:abcsha256:abc");
    EXPECT_EQ(render("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}"), "2");
    EXPECT_EQ(render("a  {{- .flag -}}  \n b"), "atrueb");
    EXPECT_EQ(render("a {{- .flag\t-}}\tb {{- .flag\n-}} c"), "atruebtruec");
    EXPECT_EQ(render("{{range $i := 3}}{{$i}}{{end}}{{range 0}}x{{else}}none{{end}}"), "012none");
    EXPECT_EQ(render("a {{/* a comment */}} b {{- /* trimmed */ -}} c"), "a  bc");
    EXPECT_EQ(render("{{range .layers}}\n  {{- .digest}}\n{{- end}}"), "sha256:l1sha256:l2");
}

TEST(go_template, functions) {
    EXPECT_EQ(render("{{len .layers}} {{len .digest}} {{len .annotations}}"), "2 10 2");
    EXPECT_EQ(render("{{.referenceAsTags | join \",\"}}"),
              "localhost:5000/hello:v1,localhost:5000/hello:latest");
    EXPECT_EQ(render("{{printf \"%s has %d layers (%v)\" .digest (len .layers) .flag}}"),
              "sha256:abc has 2 layers (true)");
    EXPECT_EQ(render("{{printf \"%q %5s|%-4d|%.2f\" \"x\" \"ab\" 3 1.5}}"),
              "\"x\"    ab|3   |1.50");
    EXPECT_EQ(render("{{print 1 2 \"a\" \"b\" 3}}"), "1 2ab3");
    EXPECT_EQ(render("{{println \"a\" 1}}"), "a 1\n");
    EXPECT_EQ(render("{{and .flag .digest}} {{or .empty .digest}} {{not .flag}}"),
              "sha256:abc sha256:abc false");
    EXPECT_EQ(render("{{and .empty .missing.nope}}"), "[]");  // stops at the first false
    EXPECT_EQ(
        render("{{eq .digest \"x\" \"sha256:abc\"}} {{ne 1 2}} {{lt 1 2}} {{ge \"b\" \"a\"}}"),
        "true true true true");
    EXPECT_EQ(render("{{upper .digest}} {{lower \"AB\"}} {{trimPrefix \"sha256:\" .digest}}"),
              "SHA256:ABC ab abc");
    EXPECT_EQ(render("{{replace \":\" \"-\" .digest}} {{contains \"abc\" .digest}} "
                     "{{hasPrefix \"sha\" .digest}} {{hasSuffix \"x\" .digest}}"),
              "sha256-abc true true false");
    EXPECT_EQ(render("{{quote .digest}} {{squote \"a\"}} {{default \"none\" .missing}} "
                     "{{default \"none\" .digest}} {{empty .empty}}"),
              "\"sha256:abc\" 'a' none sha256:abc true");
    EXPECT_EQ(render("{{splitList \":\" .digest}} {{slice .digest 0 6}} {{index (slice .layers 1) "
                     "0 | toJson}}"),
              R"([sha256 abc] sha256 {"digest":"sha256:l2","size":7340032})");
    EXPECT_EQ(render("{{keys .annotations | sortAlpha}} {{hasKey .annotations \"a<b\"}}"),
              "[a<b org.opencontainers.image.created] true");
    EXPECT_EQ(
        render("{{list 1 \"a\" | toJson}} {{dict \"k\" 1 | toJson}} {{add 1 2 3}} {{sub 5 2}}"),
        R"([1,"a"] {"k":1} 6 3)");
    EXPECT_EQ(
        render("{{trim \"  x  \"}}|{{repeat 3 \"ab\"}}|{{trunc 3 .digest}}|{{indent 2 \"a\\nb\"}}"),
        "x|ababab|sha|  a\n  b");
    EXPECT_EQ(render("{{html \"<a&b>\"}} {{urlquery \"a b/c\"}}"), "&lt;a&amp;b&gt; a+b%2Fc");
    EXPECT_EQ(render("{{ternary \"y\" \"n\" .flag}} {{coalesce .missing .empty .digest}}"),
              "y sha256:abc");
    EXPECT_EQ(render(R"({{"a\tb\u00e9" | printf "%s"}} {{`raw\n`}} {{'a'}})"),
              "a\tb\xC3\xA9 raw\\n 97");
}

TEST(go_template, what_go_refuses_when_it_parses_is_refused_before_anything_runs) {
    for (const auto* bad : {"{{toYaml .}}", "{{$x}}", "{{ }}", "{{if}}{{end}}", "{{.a | }}",
                            "{{end}}", "{{range .a}}"}) {
        EXPECT_THROW(oras::cli::check_go_template(bad), oras::error) << bad;
    }
    EXPECT_NO_THROW(
        oras::cli::check_go_template("{{$x := .a}}{{$x}} {{range $i, $e := .b}}{{$i}}{{end}}"));
}

TEST(go_template, errors_name_where_and_what) {
    EXPECT_NE(error_of("{{.digest").find("unclosed action"), std::string::npos);
    EXPECT_NE(error_of("{{if .flag}}x").find("without {{end}}"), std::string::npos);
    EXPECT_NE(error_of("{{end}}").find("unexpected {{end}}"), std::string::npos);
    EXPECT_NE(error_of("{{nosuch .digest}}").find("function \"nosuch\" not defined"),
              std::string::npos);
    EXPECT_NE(error_of("x\n  {{.nothing.deeper}}").find("2:5"), std::string::npos);
    EXPECT_NE(error_of("{{.nothing.deeper}}").find("nil pointer evaluating interface {}.deeper"),
              std::string::npos);
    EXPECT_NE(error_of("{{ }}").find("missing value for command"), std::string::npos);
    EXPECT_NE(error_of("{{" + std::string(2000, '(') + "1" + std::string(2000, ')') + "}}")
                  .find("max expression depth exceeded"),
              std::string::npos);
    EXPECT_NE(error_of("{{range 100000000}}{{repeat 10000 \"x\"}}{{end}}").find("exceeds 64 MiB"),
              std::string::npos);
    // A loop that prints nothing still ends: ten million steps at most (found by the fuzzer).
    EXPECT_NE(error_of("{{$x := 0}}{{range 155555555}}{{$x = .}}{{end}}")
                  .find("execution stopped after 10000000 steps"),
              std::string::npos);
    EXPECT_NE(error_of("{{range 4000}}{{range 4000}}{{end}}{{end}}").find("stopped after"),
              std::string::npos);
    EXPECT_EQ(render("{{$x := 0}}{{range 1000000}}{{$x = .}}{{end}}{{$x}}"), "999999");
    EXPECT_NE(error_of("{{add 9000000000000000000 9000000000000000000}}").find("overflows"),
              std::string::npos);
    EXPECT_NE(error_of("{{slice .missing 0 1}}").find("index out of range"), std::string::npos);
    EXPECT_NE(error_of("{{.digest.x}}").find("can't evaluate field x in type string"),
              std::string::npos);
    EXPECT_NE(error_of("{{index .layers 5}}").find("index out of range"), std::string::npos);
    EXPECT_NE(error_of("{{.digest 1}}").find("can't give argument to non-function"),
              std::string::npos);
    EXPECT_NE(error_of("{{$nope}}").find("undefined variable \"$nope\""), std::string::npos);
    EXPECT_NE(error_of("{{with .flag}}{{$x := 1}}{{end}}{{$x}}").find("undefined variable"),
              std::string::npos);
    EXPECT_NE(error_of("{{break}}").find("outside {{range}}"), std::string::npos);
    EXPECT_NE(error_of("{{template \"x\"}}").find("not supported"), std::string::npos);
    EXPECT_NE(error_of("{{\"open}}").find("unterminated quoted string"), std::string::npos);
    EXPECT_NE(error_of("{{(len .layers}}").find("unclosed left paren"), std::string::npos);
    EXPECT_NE(error_of("{{eq .layers .layers}}").find("non-comparable"), std::string::npos);
    EXPECT_NE(error_of("{{len}}").find("wrong number of args for len"), std::string::npos);
    EXPECT_NE(error_of("{{range .digest}}{{end}}").find("range can't iterate over sha256:abc"),
              std::string::npos);
}

}  // namespace
