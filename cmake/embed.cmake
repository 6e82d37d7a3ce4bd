# Script mode: write OUT as a C++ file defining SYMBOL with the text of IN.
file(READ ${IN} content)
string(FIND "${content}" ")imsd_embed\"" clash)
if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${IN} contains the raw-string delimiter")
endif()
file(WRITE ${OUT}.tmp
"// Generated from ${IN}; do not edit.\n#include <string_view>\nnamespace imsd::embedded {\nextern const std::string_view ${SYMBOL};\nconst std::string_view ${SYMBOL} = R\"imsd_embed(${content})imsd_embed\";\n}\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
