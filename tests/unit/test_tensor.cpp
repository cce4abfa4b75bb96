#include <doctest/doctest.h>

#include "error.h"
#include "stream/tensor.h"

using namespace mm::stream;

TEST_CASE("tensors round-trip through their record payload") {
  Tensor t;
  t.name = "embedding";
  t.dtype = DType::BF16;
  t.shape = {2, 3};
  t.data.assign(12, 0xab);
  Tensor back = decode_tensor(encode_tensor(t).data(), encode_tensor(t).size());
  CHECK(back.name == t.name);
  CHECK(back.dtype == t.dtype);
  CHECK(back.shape == t.shape);
  CHECK(back.data == t.data);

  Tensor scalar{"loss", DType::F32, {}, {0, 0, 0x80, 0x3f}};
  CHECK(decode_tensor(encode_tensor(scalar).data(), encode_tensor(scalar).size()).shape.empty());
}

TEST_CASE("inconsistent tensors are refused") {
  Tensor t{"x", DType::F32, {2, 2}, std::vector<uint8_t>(15)};
  CHECK_THROWS_AS(encode_tensor(t), mm::Error);
  t.data.resize(16);
  t.name = "two words";
  CHECK_THROWS_AS(encode_tensor(t), mm::Error);
  t.name = "";
  CHECK_THROWS_AS(encode_tensor(t), mm::Error);
  t.name = "ok";
  std::vector<uint8_t> payload = encode_tensor(t);
  CHECK_THROWS_AS(decode_tensor(payload.data(), payload.size() - 1), mm::Error);
  CHECK_THROWS_AS(decode_tensor(payload.data(), 3), mm::Error);
  payload[0] = 77;  // dtype
  CHECK_THROWS_AS(decode_tensor(payload.data(), payload.size()), mm::Error);
  payload = encode_tensor(t);
  payload[1] = 9;  // rank above the limit
  CHECK_THROWS_AS(decode_tensor(payload.data(), payload.size()), mm::Error);
  // A shape whose element count overflows 64 bits must not wrap around to the data size.
  Tensor huge{"h", DType::U8, {1ull << 32, 1ull << 32, 16}, std::vector<uint8_t>(16)};
  CHECK_THROWS_AS(encode_tensor(huge), mm::Error);
  CHECK(dtype_from_name("bf16") == DType::BF16);
  CHECK_THROWS_AS(dtype_from_name("f8"), mm::Error);
}
