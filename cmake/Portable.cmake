# The portable build (FROND_PORTABLE): link everything but glibc statically.
#
# Debian's LLVM exports ask for shared libraries the static archives do not
# need: LLVMSupport lists libz3.so (only its Z3 solver uses it, which Frond
# never links) and the shared zstd (Debian ships no static one). Point them
# at static archives, and answer LLVM's zstd calls with "unavailable"
# (cmake/ZstdUnavailable.c): LLVM compresses nothing Frond asks of it.
set(FROND_STATIC_ZLIB /usr/lib/x86_64-linux-gnu/libz.a)
foreach(f ${FROND_STATIC_ZLIB} /usr/lib/x86_64-linux-gnu/libantlr4-runtime.a)
  if(NOT EXISTS ${f})
    message(FATAL_ERROR "FROND_PORTABLE needs ${f} (install the Debian -dev package that has it)")
  endif()
endforeach()
add_library(FrondZstdUnavailable STATIC ${CMAKE_SOURCE_DIR}/cmake/ZstdUnavailable.c)
set_target_properties(LLVMSupport PROPERTIES INTERFACE_LINK_LIBRARIES
  "rt;dl;m;${FROND_STATIC_ZLIB};FrondZstdUnavailable;LLVMDemangle")
if(TARGET ZLIB::ZLIB)
  set_target_properties(ZLIB::ZLIB PROPERTIES IMPORTED_LOCATION ${FROND_STATIC_ZLIB})
endif()

# libstdc++ and libgcc inside the binary; only glibc's libc, libm and the
# loader stay shared (a fully static glibc cannot dlopen libcuda).
add_link_options(-static-libstdc++ -static-libgcc)
# Drop the unused functions of the static archives (they are compiled with
# -ffunction-sections -fdata-sections).
add_link_options(-Wl,--gc-sections)
# Record only the shared libraries really used (glibc's librt and libdl are
# empty stubs since glibc 2.34).
add_link_options(-Wl,--as-needed)
