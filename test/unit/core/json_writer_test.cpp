#include "core/json_writer.hpp"

#include <gtest/gtest.h>

#include <simdjson.h>

#include <string>

namespace {

std::string escaped(std::string_view s) {
    std::string out;
    oras::detail::append_json_string(out, s);
    return out;
}

TEST(json_writer, escapes_like_go_encoding_json) {
    EXPECT_EQ(escaped("plain"), R"("plain")");
    EXPECT_EQ(escaped("\"\\"), R"("\"\\")");
    EXPECT_EQ(escaped("\b\f\n\r\t"), R"("\b\f\n\r\t")");
    EXPECT_EQ(escaped(std::string_view("\x00\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
    EXPECT_EQ(escaped("<a&b>"), R"("\u003ca\u0026b\u003e")");
    EXPECT_EQ(escaped("\x7f"), "\"\x7f\"");
    EXPECT_EQ(escaped("/"), R"("/")");
    EXPECT_EQ(escaped("\xe2\x80\xa8\xe2\x80\xa9"), R"("\u2028\u2029")");
    EXPECT_EQ(escaped("caf\xc3\xa9 \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
}

TEST(json_writer, invalid_utf8_becomes_replacement_characters) {
    EXPECT_EQ(escaped("a\xff"
                      "b"),
              R"("a\ufffdb")");
    EXPECT_EQ(escaped("\xc3"), R"("\ufffd")");                                // truncated sequence
    EXPECT_EQ(escaped("\xc0\xaf"), R"("\ufffd\ufffd")");                      // overlong
    EXPECT_EQ(escaped("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");            // surrogate
    EXPECT_EQ(escaped("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
}

TEST(json_writer, output_is_valid_json_that_reads_back) {
    oras::detail::json_writer w;
    w.begin_object();
    w.key("a");
    w.begin_array();
    w.value(std::int64_t{-5});
    w.value("x\"y");
    w.begin_object();
    w.end_object();
    w.begin_array();
    w.end_array();
    w.end_array();
    w.optional("skipped", "");
    w.optional("kept", "v");
    w.key("n");
    w.value(std::int64_t{9007199254740993});
    w.end_object();
    const auto out = w.take();
    EXPECT_EQ(out, R"({"a":[-5,"x\"y",{},[]],"kept":"v","n":9007199254740993})");
    simdjson::dom::parser p;
    simdjson::padded_string ps(out);
    simdjson::dom::element e;
    ASSERT_FALSE(p.parse(ps).get(e));
    EXPECT_EQ(e["n"].get_int64().value(), 9007199254740993);
    EXPECT_EQ(std::string(e["a"].at(1).get_string().value()), "x\"y");
}

}  // namespace
