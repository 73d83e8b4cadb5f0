; Inno Setup script for Windows (not built or checked here: build on Windows).
;   pyinstaller installer\workstation.spec            -> dist\workstation\workstation.exe
;   iscc /DAppVersion=0.1.0 installer\windows\workstation.iss
;                                                     -> dist\workstation-0.1.0-windows-x86_64-setup.exe
; The version must be `workstation --version`'s, as on Linux.
#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z installer\windows\workstation.iss
#endif

[Setup]
AppId={{6F1C2B7E-5A7D-4C1B-9B7E-8E2B9D7C4A11}
AppName=workstation
AppVersion={#AppVersion}
AppPublisher=workstation
DefaultDirName={autopf}\workstation
DefaultGroupName=workstation
OutputDir=..\..\dist
OutputBaseFilename=workstation-{#AppVersion}-windows-x86_64-setup
SetupIconFile=..\..\workstation\resources\icons\workstation.ico
UninstallDisplayIcon={app}\workstation.exe
Compression=lzma2
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequired=lowest

[Files]
Source: "..\..\dist\workstation\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{group}\workstation"; Filename: "{app}\workstation.exe"
Name: "{autodesktop}\workstation"; Filename: "{app}\workstation.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop icon"; Flags: unchecked

[Run]
Filename: "{app}\workstation.exe"; Description: "Start workstation"; Flags: nowait postinstall skipifsilent
