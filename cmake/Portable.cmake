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

# Debian's static MLIR libraries name the LLVM and MLIR shared libraries
# ("LLVM", "MLIR") as their dependencies: link the static LLVM components
# instead (the X86 backend for the JIT, NVPTX for GPU code), and the static
# MLIR libraries the targets already list.
llvm_map_components_to_libnames(FROND_LLVM_COMPONENT_LIBS
  core support demangle targetparser binaryformat remarks bitstreamreader
  analysis transformutils instcombine aggressiveinstcombine scalaropts vectorize ipo
  instrumentation objcarcopts coroutines cfguard linker passes irreader irprinter
  asmparser bitreader bitwriter frontendopenmp frontendoffloading frontendatomic
  target mc mcparser mcdisassembler object objectyaml textapi profiledata codegen
  codegentypes selectiondag asmprinter globalisel cgdata debuginfodwarf
  debuginfodwarflowlevel executionengine runtimedyld jitlink orcjit orcshared
  orctargetprocess mcjit perfjitevents x86codegen x86asmparser x86desc x86info x86disassembler
  nvptxcodegen nvptxdesc nvptxinfo)
add_library(FrondLLVMStatic INTERFACE)
target_link_libraries(FrondLLVMStatic INTERFACE ${FROND_LLVM_COMPONENT_LIBS})
get_property(frond_imported DIRECTORY ${CMAKE_SOURCE_DIR} PROPERTY IMPORTED_TARGETS)
foreach(t ${frond_imported})
  get_target_property(deps ${t} INTERFACE_LINK_LIBRARIES)
  if(deps AND NOT t STREQUAL "LLVM")
    list(TRANSFORM deps REPLACE "^LLVM$" FrondLLVMStatic)
    list(TRANSFORM deps REPLACE "^\\$<LINK_ONLY:LLVM>$" FrondLLVMStatic)
    list(REMOVE_ITEM deps MLIR)
    set_target_properties(${t} PROPERTIES INTERFACE_LINK_LIBRARIES "${deps}")
  endif()
endforeach()
# ANTLR's static runtime needs libuuid: its static archive.
set_target_properties(antlr4_static PROPERTIES
  IMPORTED_LINK_INTERFACE_LIBRARIES_NONE /usr/lib/x86_64-linux-gnu/libuuid.a)
# No run path into /usr/lib/llvm-22: the binary needs nothing there.
set(CMAKE_SKIP_RPATH ON)

# libstdc++ and libgcc inside the binary; only glibc's libc, libm and the
# loader stay shared (a fully static glibc cannot dlopen libcuda).
add_link_options(-static-libstdc++ -static-libgcc)
# Drop the unused functions of the static archives (they are compiled with
# -ffunction-sections -fdata-sections).
add_link_options(-Wl,--gc-sections)
# Record only the shared libraries really used (glibc's librt and libdl are
# empty stubs since glibc 2.34).
add_link_options(-Wl,--as-needed)
