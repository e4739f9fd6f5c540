; The uninstaller: the user's data (database, backups, exports, logs) stays unless the
; user asks to remove it. Never asked during an update or a silent uninstall.
!macro customUnInstall
  ${ifNot} ${isUpdated}
    IfSilent keep_user_data
    MessageBox MB_YESNO|MB_ICONQUESTION|MB_DEFBUTTON2 \
      "Also remove your ${PRODUCT_NAME} data (database, backups, exports, logs)?$\r$\n$\r$\n\
It is in $APPDATA\${PRODUCT_NAME}. Choose No to keep it for a later installation." \
      IDNO keep_user_data
    RMDir /r "$APPDATA\${PRODUCT_NAME}"
    keep_user_data:
  ${endIf}
!macroend
