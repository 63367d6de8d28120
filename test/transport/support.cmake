# Transport test support: an in-process scripted HTTP/1.1 server (plain or TLS) that misbehaves
# on request, and a CONNECT / absolute-form forward proxy. Included from
# test/transport/CMakeLists.txt. Asio and Beast stay inside the two .cpp files; the headers are
# plain C++.
#
#   oras_transport_support          static library; #include "scripted_server.hpp" /
#                                   "connect_proxy.hpp" (include dir: this directory)
#   oras_scripted_server_selftest   its GoogleTest self-check (tests named transport.*)
#
# Needs: Boost::headers, OpenSSL::SSL/Crypto, Threads::Threads, GTest::gtest_main (GoogleTest
# module included), oras_discover_tests, and the oras_test_support / oras_warnings /
# oras_test_codegen targets.
add_library(oras_transport_support STATIC
  ${CMAKE_CURRENT_LIST_DIR}/scripted_server.cpp
  ${CMAKE_CURRENT_LIST_DIR}/connect_proxy.cpp
)
target_include_directories(oras_transport_support PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_compile_features(oras_transport_support PUBLIC cxx_std_20)
target_link_libraries(oras_transport_support
  PUBLIC Threads::Threads
  # Test CA + server certificate for TLS mode (oras::test::make_test_pki, temp_dir).
  PRIVATE oras_test_support Boost::headers OpenSSL::SSL OpenSSL::Crypto oras_warnings
          oras_test_codegen)

add_executable(oras_scripted_server_selftest
  ${CMAKE_CURRENT_LIST_DIR}/scripted_server_selftest.cpp)
target_link_libraries(oras_scripted_server_selftest PRIVATE
  oras_transport_support Boost::headers OpenSSL::SSL OpenSSL::Crypto Threads::Threads
  GTest::gtest_main oras_warnings oras_test_codegen)
oras_discover_tests(oras_scripted_server_selftest "transport.")
