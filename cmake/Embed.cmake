# icb_embed_files(OUT_CC NAMESPACE FUNCTION BASE_DIR FILES...)
# Generates a .cc that defines `std::vector<EmbeddedFile> FUNCTION()` returning the
# files' paths (relative to BASE_DIR) and contents, so the binary needs no data
# files at run time (schemas, demo catalog).
function(icb_embed_files out_cc function base_dir)
  set(files ${ARGN})
  add_custom_command(
    OUTPUT ${out_cc}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out_cc} -DFUNCTION=${function} -DBASE=${base_dir}
            "-DFILES=${files}" -P ${PROJECT_SOURCE_DIR}/cmake/EmbedScript.cmake
    DEPENDS ${files} ${PROJECT_SOURCE_DIR}/cmake/EmbedScript.cmake
    COMMENT "Embedding ${function}"
    VERBATIM)
endfunction()
